/**
 * The one redaction rule (registries/redact.ts, issue 11 "Secrets in messages"): userinfo, query
 * values and fragments of any URL in a text become `***`; everything else stays as written.
 */
import { errorAt, formatDiagnostic, ValidationError } from "../../registries/diagnostics";
import { redactSecrets } from "../../registries/redact";

describe("redactSecrets", () => {
  // prettier-ignore
  it.each([
    // userinfo, with and without a scheme (K3s reads a bare endpoint as //host)
    ['endpoint "https://user:pw@harbor.example.com/v2": no', 'endpoint "https://***@harbor.example.com/v2": no'],
    ["https://ghp_TOKEN@github.com", "https://***@github.com"],
    ["//user:pw@harbor.example.com", "//***@harbor.example.com"],
    ['endpoint "user:pw@harbor.example.com"', 'endpoint "***@harbor.example.com"'],
    ["(http://a:b@c:5000)", "(http://***@c:5000)"],
    ["s3://key:se@cr@et@bucket/x", "s3://***@bucket/x"],
    // every query value, the name kept; containerd's ns stays readable
    ["https://h/v2?token=T0KEN", "https://h/v2?token=***"],
    ["https://b.s3.amazonaws.com/o?X-Amz-Signature=abc&X-Amz-Date=1", "https://b.s3.amazonaws.com/o?X-Amz-Signature=***&X-Amz-Date=***"],
    ["https://h?ghp_TOKEN", "https://h?***"],
    ["https://h/v2/x/manifests/1?ns=docker.io", "https://h/v2/x/manifests/1?ns=docker.io"],
    ["harbor.example.com/v2?sig=abc", "harbor.example.com/v2?sig=***"],
    ["'https://h?password=p'", "'https://h?password=***'"],
    ["https://h#access_token=abc", "https://h#***"],
    // not URLs: unchanged
    ["alpine:3.19@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "alpine:3.19@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
    ["userinfo (user:password@) is not allowed", "userinfo (user:password@) is not allowed"],
    ["a query (?…) is not allowed; ^(?P<rest>.*)$ and ^(?!x)", "a query (?…) is not allowed; ^(?P<rest>.*)$ and ^(?!x)"],
    ["https://harbor.example.com", "https://harbor.example.com"],
    ["root@192.0.2.11 and ops@example.com", "root@192.0.2.11 and ops@example.com"],
  ])("%s → %s", (text, shown) => {
    expect(redactSecrets(text)).toBe(shown);
  });
});

describe("diagnostics are redacted wherever they are formatted or thrown", () => {
  const leaking = errorAt("x", ["mirrors", "https://u:CANARY@h"], 'endpoint "https://h?token=CANARY2"');

  it("formatDiagnostic redacts the key path and the message", () => {
    expect(formatDiagnostic(leaking, "f.yaml")).toBe(
      'f.yaml mirrors."https://***@h": endpoint "https://h?token=***"',
    );
  });

  it("ValidationError redacts its message and the text of the diagnostics it carries", () => {
    const error = new ValidationError([leaking], "f.yaml");
    expect(error.message).not.toMatch(/CANARY/);
    const [carried] = error.diagnostics;
    expect(`${carried.path} ${carried.message}`).not.toMatch(/CANARY/);
    // The key path stays as written: the app locates the key in the file with it.
    expect(carried).toMatchObject({ code: "x", keyPath: leaking.keyPath });
  });
});
