/**
 * A query form drawn from a dataset's queryFields: labels, units, help, allowed values,
 * required marks. Checked in the browser first; errors (ours or the gateway's) sit next to the
 * field they are about, and the first one takes the focus.
 */
import { useId, useRef, type FormEvent, type ReactNode } from "react";
import type { FieldErrors, FormField, FormValues } from "./searchState";

interface QueryFormProps {
  fields: readonly FormField[];
  values: FormValues;
  errors: FieldErrors;
  onChange: (name: string, value: string) => void;
  /** Called with no errors left; returns the errors that stop it otherwise. */
  onSubmit: () => FieldErrors;
  busy: boolean;
  submitLabel?: string;
  children?: ReactNode;
}

function FieldInput({
  field,
  value,
  error,
  onChange,
  formId,
}: {
  field: FormField;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  formId: string;
}) {
  const id = `${formId}-${field.name}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy =
    [field.description ? helpId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    name: field.name,
    "aria-invalid": error ? (true as const) : undefined,
    "aria-describedby": describedBy,
    "aria-required": field.required || undefined,
  };
  const numeric = field.type === "FLOAT" || field.type === "INT";
  return (
    <div className={error ? "field field-invalid" : "field"}>
      <label htmlFor={id}>
        {field.label}
        {field.unit && <span className="unit"> ({field.unit})</span>}
        {field.required && (
          <span className="required" aria-hidden="true">
            {" "}
            *
          </span>
        )}
      </label>
      {field.type === "ENUM" ? (
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{field.required ? "Choose…" : "Any"}</option>
          {field.allowedValues.map((allowed) => (
            <option key={allowed} value={allowed}>
              {allowed}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          type="text"
          inputMode={numeric ? (field.type === "INT" ? "numeric" : "decimal") : undefined}
          autoComplete="off"
          spellCheck={numeric ? false : undefined}
          value={value}
          placeholder={field.default ?? undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {field.description && (
        <p id={helpId} className="help">
          {field.description}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error" data-testid={`error-${field.name}`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function QueryForm({
  fields,
  values,
  errors,
  onChange,
  onSubmit,
  busy,
  submitLabel = "Search",
  children,
}: QueryFormProps) {
  const formId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = onSubmit();
    const first = fields.find((f) => problems[f.name]);
    if (first) {
      const input = formRef.current?.querySelector<HTMLElement>(`[name="${first.name}"]`);
      input?.focus();
    }
  };
  return (
    <form ref={formRef} className="query-form" onSubmit={submit} noValidate aria-label="Query form">
      {fields.some((f) => f.required) && (
        <p className="help">
          Fields marked <span aria-hidden="true">*</span>
          <span className="visually-hidden">as required</span> are required.
        </p>
      )}
      <div className="field-grid">
        {fields.map((field) => (
          <FieldInput
            key={field.name}
            field={field}
            formId={formId}
            value={values[field.name] ?? ""}
            error={errors[field.name]}
            onChange={(value) => onChange(field.name, value)}
          />
        ))}
      </div>
      {children}
      <div className="form-actions">
        <button type="submit">{busy ? "Searching…" : submitLabel}</button>
      </div>
    </form>
  );
}
