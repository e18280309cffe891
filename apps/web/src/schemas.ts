// First: configures zod before the shared schemas below are constructed.
import "./zod-config";

export * from "@rapport/core/schemas";
