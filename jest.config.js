/** Fast layers: pure rendering/validation tests and Pulumi mock tests. No Docker engine needed. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  // Failures are repeated at the very end of the run, where a truncated CI log still shows them.
  reporters: [["default", { summaryThreshold: 0 }]],
  roots: ["<rootDir>/test"],
  testMatch: ["<rootDir>/test/unit/**/*.test.ts", "<rootDir>/test/mocks/**/*.test.ts"],
};
