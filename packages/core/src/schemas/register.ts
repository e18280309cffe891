import { passwordProblem } from "../password";
import { changePasswordInput, registerFieldsInput } from "./auth";

/** auth.register: the fields, then the password rule (length, common passwords, the account's own address). */
export const registerInput = registerFieldsInput.superRefine((input, ctx) => {
  const problem = passwordProblem(input.password, { email: input.email });
  if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
});

/**
 * auth.changePassword as the account page checks it: the new password must differ from the
 * current one and pass the rule with the account's own address (the server checks both again).
 */
export const changePasswordInputFor = (email: string) =>
  changePasswordInput.superRefine((input, ctx) => {
    if (input.newPassword === input.currentPassword)
      ctx.addIssue({ code: "custom", path: ["newPassword"], message: "must differ from the current password" });
    const problem = passwordProblem(input.newPassword, { email });
    if (problem) ctx.addIssue({ code: "custom", path: ["newPassword"], message: problem });
  });
