/**
 * Real-engine layer: the Pulumi CLI (Automation API) on a real Docker engine.
 * Needs `scripts/prepare-machine.sh` to have run. Serial: the tests share one Docker engine.
 */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  // Failures are repeated at the very end of the run, where a truncated CI log still shows them.
  reporters: [["default", { summaryThreshold: 0 }]],
  roots: ["<rootDir>/test"],
  testMatch: ["<rootDir>/test/lab/**/*.test.ts"],
  maxWorkers: 1,
  testTimeout: 600000,
};
