// Loaded into the real server process (NODE_OPTIONS=--import) by process-handlers.test.ts.
// On SIGUSR2 it raises the fault named by RAPPORT_TEST_FAULT outside any request, as a bug
// in a timer or a library callback would.
process.on("SIGUSR2", () => {
  if (process.env.RAPPORT_TEST_FAULT === "rejection") {
    void Promise.reject(new Error("injected rejection"));
  } else {
    setImmediate(() => {
      throw new Error("injected exception");
    });
  }
});
