// Apart from the rule's list of common passwords, so input schemas can bound a password without loading it.
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
