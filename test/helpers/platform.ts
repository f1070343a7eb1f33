import { spawnSync } from 'node:child_process';

/**
 * Some tests exercise what only some platforms have (POSIX signals, file
 * names with `<` or `%`, shell scripts as fake interpreters, symbolic links
 * without privileges, Linux mount namespaces). Elsewhere they are skipped, and
 * mocha lists them as pending with the reason in their title's suite.
 */
export function onlyOnPosix(context: Mocha.Context): void {
  if (process.platform === 'win32') context.skip();
}

let mountable: boolean | undefined;

/** Skips a test that needs a private tmpfs mount (Linux user and mount namespaces). */
export function onlyWithTmpfsMounts(context: Mocha.Context): void {
  mountable ??=
    process.platform === 'linux' &&
    spawnSync('unshare', ['--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { stdio: 'ignore' }).status === 0;
  if (!mountable) context.skip();
}

let userNamespaces: boolean | undefined;

/**
 * Skips a test that needs a user namespace (Linux): inside `unshare --user`,
 * even root gets no privilege over files, so a file with mode 000 is
 * unreadable as it is for any other user.
 */
export function onlyWithUserNamespaces(context: Mocha.Context): void {
  userNamespaces ??= process.platform === 'linux' && spawnSync('unshare', ['--user', 'true'], { stdio: 'ignore' }).status === 0;
  if (!userNamespaces) context.skip();
}
