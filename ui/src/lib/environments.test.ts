import { describe, expect, it } from "vitest";
import { healthCredentialName, paramList } from "./environments.svelte";

describe("secrets found in links", () => {
  it("suggests a credential name from the parameter", () => {
    expect(healthCredentialName("token")).toBe("HEALTH_TOKEN");
    expect(healthCredentialName("access_token")).toBe("HEALTH_ACCESS_TOKEN");
    expect(healthCredentialName("X-Amz-Signature")).toBe("HEALTH_X_AMZ_SIGNATURE");
    expect(healthCredentialName("--")).toBe("HEALTH_TOKEN");
  });

  it("names the parameters in a sentence", () => {
    expect(paramList(["token"])).toBe("token=");
    expect(paramList(["key", "sig"])).toBe("key= and sig=");
    expect(paramList(["a", "b", "c"])).toBe("a=, b= and c=");
  });
});
