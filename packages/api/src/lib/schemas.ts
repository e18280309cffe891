// The input rules live in @rapport/core/schemas, where the web app's forms validate with them too.
export {
  dateSchema,
  idSchema,
  pageFields,
  requiredText,
  stringSchema,
  timeZoneSchema,
} from "@rapport/core/schemas";
