import { passwordProblem } from "../password";
import { registerFieldsInput } from "./auth";

/** auth.register: the fields, then the password rule (length, common passwords, the account's own address). */
export const registerInput = registerFieldsInput.superRefine((input, ctx) => {
  const problem = passwordProblem(input.password, { email: input.email });
  if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
});
