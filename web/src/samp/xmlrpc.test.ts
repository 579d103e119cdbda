// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { decodeResponse, encodeCall, XmlRpcFault } from "./xmlrpc";

describe("XML-RPC", () => {
  it("encodes calls with structs, arrays and escaped text", () => {
    const xml = encodeCall("samp.webhub.notify", [
      "key",
      { "samp.mtype": "table.load.votable", "samp.params": { url: "http://h/q?a=1&b=<2>" } },
      [1, 2.5, true],
    ]);
    expect(xml).toContain("<methodName>samp.webhub.notify</methodName>");
    expect(xml).toContain("<member><name>samp.mtype</name><value><string>table.load.votable</string></value></member>");
    expect(xml).toContain("http://h/q?a=1&amp;b=&lt;2&gt;");
    expect(xml).toContain(
      "<value><int>1</int></value><value><double>2.5</double></value><value><boolean>1</boolean></value>",
    );
  });

  it("decodes what a hub answers", () => {
    const answer = `<?xml version="1.0"?><methodResponse><params><param><value><struct>
      <member><name>samp.private-key</name><value><string>k-1</string></value></member>
      <member><name>samp.self-id</name><value>c3</value></member>
      <member><name>n</name><value><i4>7</i4></value></member>
      <member><name>list</name><value><array><data><value><boolean>0</boolean></value></data></array></value></member>
    </struct></value></param></params></methodResponse>`;
    expect(decodeResponse(answer)).toEqual({ "samp.private-key": "k-1", "samp.self-id": "c3", n: 7, list: [false] });
  });

  it("turns a fault into an error", () => {
    const fault = `<methodResponse><fault><value><struct>
      <member><name>faultCode</name><value><int>403</int></value></member>
      <member><name>faultString</name><value><string>rejected</string></value></member>
    </struct></value></fault></methodResponse>`;
    expect(() => decodeResponse(fault)).toThrow(XmlRpcFault);
    expect(() => decodeResponse(fault)).toThrow("rejected");
  });
});
