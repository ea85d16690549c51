import { commandErrorSummary } from "../../scripts/runner";

describe("what the lab command says when the Pulumi CLI fails", () => {
  it("repeats the CLI's own error from stderr (which the engine's output did not show), then where to look", () => {
    // The shape of the Automation API's CommandError message: code, stdout, stderr, err.
    const message = [
      "code: 255",
      " stdout: Destroying (dev):",
      "",
      " stderr: error: The Pulumi CLI encountered a snapshot integrity error. This is a bug!",
      "You can try to repair your snapshot as follows:",
      "* Using the `pulumi state repair` command. This is the recommended approach.",
      " err?: Error: Command failed with exit code 255",
    ].join("\n");
    expect(commandErrorSummary(message)).toBe(
      [
        "error: The Pulumi CLI encountered a snapshot integrity error. This is a bug!",
        "You can try to repair your snapshot as follows:",
        "* Using the `pulumi state repair` command. This is the recommended approach.",
        "Pulumi stopped: any errors of the engine are above, under Diagnostics.",
      ].join("\n"),
    );
  });

  it("adds nothing when stderr holds no error of its own", () => {
    const message = "code: 1\n stdout: Updating (dev):\n stderr: Command failed\n err?: Error: x";
    expect(commandErrorSummary(message)).toBe(
      "Pulumi stopped: any errors of the engine are above, under Diagnostics.",
    );
  });
});
