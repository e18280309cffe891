import { describe, expect, it } from "vitest";
import { appModules, appRouters, createPrivacyRegistry } from "../src/modules/index";
import { defineModule } from "../src/platform/module";
import { appRouter } from "../src/root";

describe("the module list", () => {
  it("mounts every module's routers, and only those, on the app router", () => {
    const keys = appModules.flatMap((module) => Object.keys(module.routers));
    expect(Object.keys(appRouter._def.record).sort()).toEqual([...keys].sort());
    expect(new Set(appModules.map((module) => module.name)).size).toBe(appModules.length);
  });

  it("refuses a router key mounted by two modules", () => {
    const shadow = defineModule({ name: "shadow", routers: { contacts: appModules[1].routers.contacts } });
    expect(() => appRouters([...appModules, shadow])).toThrow(/"contacts" of module shadow is already mounted/);
  });

  it("registers the privacy handlers in list order: dependent data before the record it names", () => {
    const order = createPrivacyRegistry()
      .all()
      .map((handler) => handler.module);
    expect(order).toEqual(appModules.flatMap((module) => (module.privacy ?? []).map((handler) => handler.module)));
    // Erasure clears interactions before their contact, and finds invitations by the address auth overwrites.
    expect(order.indexOf("interactions")).toBeLessThan(order.indexOf("contacts"));
    expect(order.indexOf("invitations")).toBeLessThan(order.indexOf("auth"));
  });
});
