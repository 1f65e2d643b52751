/**
 * A failed step's message, in the parts the workflows write it in (functions/tasks/step.ts):
 * "<provider's words> (<remedy>); attempt 3, next at …Z (in 40 s)", or
 * "<provider's words> (<remedy>); retrying cannot fix this: change the cluster and a new attempt starts".
 * Anything else stays whole.
 */
export interface FailureParts {
  readonly said: string;
  readonly remedy?: string;
  readonly retry?: string;
}

const RETRY_TAIL = /; (attempt \d+, next at .*|retrying cannot fix this: .*)$/;
const SETTLING = ' (something was made moments ago; the cloud may not show it everywhere yet)';

export function failureParts(message: string): FailureParts {
  const tail = RETRY_TAIL.exec(message);
  if (!tail) return { said: message };
  let said = message.slice(0, tail.index);
  const retry = tail[1]!;
  let settling = '';
  if (said.endsWith(SETTLING)) {
    said = said.slice(0, -SETTLING.length);
    settling = SETTLING;
  }
  // The remedy is the last parenthesised group, when the provider's words end with one.
  if (said.endsWith(')')) {
    let depth = 0;
    for (let i = said.length - 1; i >= 0; i--) {
      if (said[i] === ')') depth++;
      else if (said[i] === '(' && --depth === 0) {
        if (i > 0 && said[i - 1] === ' ') return { said: said.slice(0, i - 1) + settling, remedy: said.slice(i + 1, -1), retry };
        break;
      }
    }
  }
  return { said: said + settling, retry };
}
