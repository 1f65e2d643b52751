declare module 'asl-validator' {
  interface AslValidatorResult {
    isValid: boolean;
    errors: { message?: string; path?: string }[];
  }
  export default function aslValidator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): Promise<AslValidatorResult>;
}
