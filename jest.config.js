/** Fast layers: pure rendering/validation tests and Pulumi mock tests. No Docker engine needed. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["<rootDir>/test/unit/**/*.test.ts", "<rootDir>/test/mocks/**/*.test.ts"],
};
