/** Inputs for the fields of a JSON Schema; a field can be offered as a choice or a text area. */
import type { SchemaErrors, SchemaField, SchemaValues } from "./jsonSchemaForm";

export interface Choice {
  value: string;
  label: string;
}

interface SchemaFormProps {
  idPrefix: string;
  fields: readonly SchemaField[];
  values: SchemaValues;
  errors: SchemaErrors;
  onChange: (name: string, value: string) => void;
  /** Fields whose values come from a list (a select; checkboxes for an array). */
  choices?: Readonly<Record<string, readonly Choice[]>>;
  /** Fields edited in a text area. */
  multiline?: readonly string[];
}

function hint(field: SchemaField): string {
  const parts: string[] = [];
  if (field.description) parts.push(field.description);
  if (field.kind === "array" && field.itemKind) parts.push("One value per line or comma-separated.");
  if (field.minimum !== undefined && field.maximum !== undefined)
    parts.push(`From ${field.minimum} to ${field.maximum}.`);
  else if (field.minimum !== undefined) parts.push(`At least ${field.minimum}.`);
  if (!field.required && field.defaultText) parts.push(`Default: ${field.defaultText}.`);
  return parts.join(" ");
}

function FieldControl({
  field,
  id,
  value,
  describedBy,
  invalid,
  onChange,
  choices,
  multiline,
}: {
  field: SchemaField;
  id: string;
  value: string;
  describedBy: string | undefined;
  invalid: boolean;
  onChange: (value: string) => void;
  choices: readonly Choice[] | undefined;
  multiline: boolean;
}) {
  const common = {
    id,
    name: field.name,
    "aria-describedby": describedBy,
    "aria-invalid": invalid || undefined,
    "aria-required": field.required || undefined,
  };
  if (field.kind === "boolean") {
    return (
      <input
        {...common}
        type="checkbox"
        checked={value === "true"}
        onChange={(e) => onChange(e.target.checked ? "true" : "false")}
      />
    );
  }
  if (field.kind === "array" && choices) {
    const picked = new Set(
      value
        .split(/[\n,]/)
        .map((v) => v.trim())
        .filter(Boolean),
    );
    return (
      <div className="choice-list" role="group" aria-labelledby={`${id}-label`} aria-describedby={describedBy}>
        {choices.map((choice) => (
          <label key={choice.value} className="check">
            <input
              type="checkbox"
              checked={picked.has(choice.value)}
              onChange={(e) => {
                const next = new Set(picked);
                if (e.target.checked) next.add(choice.value);
                else next.delete(choice.value);
                onChange(
                  choices
                    .filter((c) => next.has(c.value))
                    .map((c) => c.value)
                    .join("\n"),
                );
              }}
            />
            {choice.label}
          </label>
        ))}
      </div>
    );
  }
  const options = choices ?? (field.kind === "enum" ? field.options.map((o) => ({ value: o, label: o })) : null);
  if (options) {
    return (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{field.required ? "Choose…" : "Default"}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    );
  }
  if (multiline || field.kind === "array") {
    return (
      <textarea
        {...common}
        rows={multiline ? 6 : 3}
        value={value}
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  const numeric = field.kind === "number" || field.kind === "integer";
  return (
    <input
      {...common}
      type="text"
      inputMode={numeric ? (field.kind === "integer" ? "numeric" : "decimal") : undefined}
      autoComplete="off"
      value={value}
      placeholder={field.defaultText || undefined}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

export function SchemaForm({
  idPrefix,
  fields,
  values,
  errors,
  onChange,
  choices = {},
  multiline = [],
}: SchemaFormProps) {
  return (
    <div className="field-grid">
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const help = hint(field);
        const error = errors[field.name];
        const describedBy =
          [help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
        const wide = multiline.includes(field.name) || (field.kind === "array" && choices[field.name] !== undefined);
        return (
          <div
            key={field.name}
            className={`field${wide ? " field-wide" : ""}${error ? " field-invalid" : ""}${field.kind === "boolean" ? " field-check" : ""}`}
          >
            <label htmlFor={field.kind === "array" && choices[field.name] ? undefined : id} id={`${id}-label`}>
              {field.label}
              {field.required && (
                <span className="required" aria-hidden="true">
                  {" "}
                  *
                </span>
              )}
            </label>
            <FieldControl
              field={field}
              id={id}
              value={values[field.name] ?? ""}
              describedBy={describedBy}
              invalid={Boolean(error)}
              onChange={(value) => onChange(field.name, value)}
              choices={choices[field.name]}
              multiline={multiline.includes(field.name)}
            />
            {help && (
              <p id={`${id}-help`} className="help">
                {help}
              </p>
            )}
            {error && (
              <p id={`${id}-error`} className="field-error" data-testid={`job-error-${field.name}`}>
                {error}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
