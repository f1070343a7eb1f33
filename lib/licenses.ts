/** Licenses the generator can write, by SPDX id (Proprietary is not an SPDX id). */
export const SUPPORTED_LICENSES = ['Apache-2.0', 'MIT', 'BSD-3-Clause', 'Proprietary'] as const;
export type SupportedLicense = (typeof SUPPORTED_LICENSES)[number];

/**
 * The PEP 639 `license` expression for pyproject.toml. A proprietary licence
 * has no SPDX id; `LicenseRef-` is the spec's way to name one.
 */
export function spdxExpression(license: SupportedLicense): string {
  return license === 'Proprietary' ? 'LicenseRef-Proprietary' : license;
}
