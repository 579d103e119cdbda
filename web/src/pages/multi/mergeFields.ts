/** One form for many datasets: the union of their query fields, none required. */
import { PARAM_NAMES, type FormField } from "../query/searchState";

/**
 * Every input any of the datasets offers, in the common order. A dataset that needs an input
 * left empty answers with its own error, so no input is required for all.
 */
export function mergeFields(fieldLists: readonly (readonly FormField[])[]): FormField[] {
  const merged = new Map<string, FormField>();
  for (const fields of fieldLists) {
    for (const field of fields) {
      const seen = merged.get(field.name);
      if (!seen) {
        merged.set(field.name, { ...field, required: false, allowedValues: [...field.allowedValues] });
      } else if (seen.type === "ENUM" && field.type === "ENUM") {
        const values = [...seen.allowedValues];
        for (const value of field.allowedValues) if (!values.includes(value)) values.push(value);
        merged.set(field.name, { ...seen, allowedValues: values });
      } else if (seen.type !== field.type) {
        // an enum here and free text there (collections): free text reaches both
        merged.set(field.name, { ...seen, type: "STRING", allowedValues: [] });
      }
    }
  }
  const order = (name: string) => {
    const index = (PARAM_NAMES as readonly string[]).indexOf(name);
    return index < 0 ? PARAM_NAMES.length : index;
  };
  return [...merged.values()].sort((a, b) => order(a.name) - order(b.name));
}
