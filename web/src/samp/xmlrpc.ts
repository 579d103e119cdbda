/** The XML-RPC the SAMP Web Profile speaks: strings, ints, booleans, doubles, structs, arrays. */

export type XmlRpcValue = string | number | boolean | XmlRpcValue[] | { [key: string]: XmlRpcValue };

export class XmlRpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function encodeValue(value: XmlRpcValue): string {
  if (typeof value === "string") return `<value><string>${escapeXml(value)}</string></value>`;
  if (typeof value === "boolean") return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === "number") {
    return Number.isInteger(value) ? `<value><int>${value}</int></value>` : `<value><double>${value}</double></value>`;
  }
  if (Array.isArray(value)) return `<value><array><data>${value.map(encodeValue).join("")}</data></array></value>`;
  const members = Object.entries(value)
    .map(([name, member]) => `<member><name>${escapeXml(name)}</name>${encodeValue(member)}</member>`)
    .join("");
  return `<value><struct>${members}</struct></value>`;
}

export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  const body = params.map((p) => `<param>${encodeValue(p)}</param>`).join("");
  return `<?xml version="1.0"?><methodCall><methodName>${escapeXml(method)}</methodName><params>${body}</params></methodCall>`;
}

function childElements(element: Element): Element[] {
  return Array.from(element.children);
}

function decodeValue(value: Element): XmlRpcValue {
  const typed = childElements(value)[0];
  if (!typed) return value.textContent ?? ""; // an untyped value is a string
  const text = typed.textContent ?? "";
  switch (typed.tagName) {
    case "string":
      return text;
    case "int":
    case "i4":
    case "i8":
      return Number.parseInt(text, 10);
    case "double":
      return Number.parseFloat(text);
    case "boolean":
      return text.trim() === "1";
    case "array": {
      const data = childElements(typed).find((e) => e.tagName === "data");
      return data ? childElements(data).map(decodeValue) : [];
    }
    case "struct": {
      const result: Record<string, XmlRpcValue> = {};
      for (const member of childElements(typed)) {
        const name = childElements(member).find((e) => e.tagName === "name")?.textContent ?? "";
        const inner = childElements(member).find((e) => e.tagName === "value");
        if (inner) result[name] = decodeValue(inner);
      }
      return result;
    }
    case "nil":
      return "";
    default:
      return text;
  }
}

/** The result of a methodResponse; throws XmlRpcFault for a fault. */
export function decodeResponse(xml: string, parser: DOMParser = new DOMParser()): XmlRpcValue {
  const doc = parser.parseFromString(xml, "text/xml");
  const root = doc.documentElement;
  if (!root || root.tagName !== "methodResponse") throw new Error("not an XML-RPC response");
  const fault = childElements(root).find((e) => e.tagName === "fault");
  if (fault) {
    const value = childElements(fault).find((e) => e.tagName === "value");
    const detail = value ? decodeValue(value) : {};
    const struct = typeof detail === "object" && !Array.isArray(detail) ? detail : {};
    throw new XmlRpcFault(Number(struct["faultCode"] ?? 0), String(struct["faultString"] ?? "XML-RPC fault"));
  }
  const value = root.querySelector("params > param > value");
  return value ? decodeValue(value) : "";
}
