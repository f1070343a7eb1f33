import type { AnswerSpec } from './answers.js';
import { type SliceNameContext, sliceNameProblem } from './naming.js';

/**
 * The name every slice (source or sink) is added with: the generator's
 * positional argument, asked for in a terminal.
 */
export function sliceNameAnswer<A>(generator: string, noun: string, context: SliceNameContext): AnswerSpec<string, A> {
  return {
    type: 'string',
    argument: true,
    label: `${noun} name`,
    description: `snake_case name of the ${noun}, e.g. orders or sensor_log`,
    prompt: { message: `Name of the ${noun} (snake_case)` },
    required: true,
    example: `${generator} orders`,
    check: (value) => sliceNameProblem(value, context),
  };
}
