/**
 * New job: pick a worker type, fill the form its JSON Schema describes. query.tap offers the
 * TAP datasets and an ADQL text area, query.multi the datasets to tick.
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useAnnounce } from "../../components/Announcer";
import { InlineCode } from "../../components/InlineCode";
import { Loading, Notice, RequestError } from "../../components/Status";
import { SchemaForm, type Choice } from "./SchemaForm";
import {
  initialSchemaValues,
  problemsByField,
  schemaFields,
  toParameters,
  type SchemaErrors,
  type SchemaValues,
} from "./jsonSchemaForm";

const JobFormQuery = graphql(`
  query JobForm {
    jobTypes {
      name
      description
      parameters
    }
    tapDatasets: datasets(protocol: TAP) {
      id
      name
      table
      archive {
        id
        name
      }
    }
    allDatasets: datasets {
      id
      name
      archive {
        id
        name
      }
    }
  }
`);

const CreateJobMutation = graphql(`
  mutation CreateJob($type: String!, $parameters: JSON, $run: Boolean!, $runId: String) {
    createJob(type: $type, parameters: $parameters, run: $run, runId: $runId) {
      __typename
      ... on Job {
        id
        type
        phase
      }
      ... on InvalidJobParameters {
        problems
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

const DEFAULT_TYPE = "query.tap";

export function CreateJobForm({ onCreated }: { onCreated: () => void }) {
  const id = useId();
  const announce = useAnnounce();
  const [{ data, fetching, error }] = useQuery({ query: JobFormQuery });
  const [, createJob] = useMutation(CreateJobMutation);
  const [type, setType] = useState(DEFAULT_TYPE);
  const [values, setValues] = useState<SchemaValues>({});
  const [errors, setErrors] = useState<SchemaErrors>({});
  const [runNow, setRunNow] = useState(true);
  const [label, setLabel] = useState("");
  const [outcome, setOutcome] = useState<{ kind: "success" | "error"; text: string; problems?: string[] } | null>(null);
  const queryEdited = useRef(false);
  const formRef = useRef<HTMLFormElement>(null);

  const jobType = data?.jobTypes.find((t) => t.name === type) ?? data?.jobTypes[0];
  const fields = useMemo(() => (jobType ? schemaFields(jobType.parameters) : []), [jobType]);
  useEffect(() => {
    setValues(initialSchemaValues(fields));
    setErrors({});
    queryEdited.current = false;
  }, [fields]);

  const choices = useMemo((): Record<string, Choice[]> => {
    const none: Record<string, Choice[]> = {};
    if (!data) return none;
    const tap: Choice[] = data.tapDatasets.map((d) => ({ value: d.id, label: `${d.name} (${d.archive.name})` }));
    const all: Choice[] = data.allDatasets.map((d) => ({ value: d.id, label: `${d.name} (${d.archive.name})` }));
    if (jobType?.name === "query.tap") return { dataset: tap };
    if (jobType?.name === "query.multi") return { datasets: all };
    return none;
  }, [data, jobType]);

  if (fetching && !data) return <Loading label="Loading job types…" />;
  if (error) return <RequestError error={error} what="the job types" />;
  if (!data || !jobType) return null;

  const change = (name: string, value: string) => {
    setValues((current) => {
      const next = { ...current, [name]: value };
      // Choosing a TAP dataset suggests a first query of its table, until the query is edited.
      if (jobType.name === "query.tap" && name === "dataset" && !queryEdited.current) {
        const table = data.tapDatasets.find((d) => d.id === value)?.table;
        if (table) next["query"] = `SELECT TOP 100 * FROM ${table}`;
      }
      if (name === "query") queryEdited.current = true;
      return next;
    });
    setErrors((current) => {
      if (!(name in current)) return current;
      const { [name]: _dropped, ...rest } = current;
      return rest;
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOutcome(null);
    const { parameters, errors: problems } = toParameters(fields, values);
    setErrors(problems);
    const first = fields.find((f) => problems[f.name]);
    if (first) {
      formRef.current?.querySelector<HTMLElement>(`[name="${first.name}"]`)?.focus();
      return;
    }
    const result = await createJob({ type: jobType.name, parameters, run: runNow, runId: label.trim() || null });
    const payload = result.data?.createJob;
    if (!payload) {
      setOutcome({ kind: "error", text: result.error?.message ?? "The gateway gave no answer." });
      return;
    }
    if (payload.__typename === "Job") {
      const text = `Job ${payload.id} (${payload.type}) created: ${payload.phase}.`;
      setOutcome({ kind: "success", text });
      announce(text);
      onCreated();
      return;
    }
    if (payload.__typename === "InvalidJobParameters") {
      const { byField, other } = problemsByField(payload.problems, fields);
      setErrors(byField);
      setOutcome({ kind: "error", text: payload.message, problems: other });
      return;
    }
    setOutcome({ kind: "error", text: payload.message });
  };

  return (
    <form
      ref={formRef}
      className="panel job-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby={`${id}-title`}
    >
      <h2 id={`${id}-title`}>New job</h2>
      <div className="field">
        <label htmlFor={`${id}-type`}>Job type</label>
        <select
          id={`${id}-type`}
          className="input-medium"
          value={jobType.name}
          onChange={(e) => setType(e.target.value)}
          aria-describedby={`${id}-type-help`}
        >
          {data.jobTypes.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <p id={`${id}-type-help`} className="help">
          <InlineCode text={jobType.description} />
        </p>
      </div>
      <SchemaForm
        idPrefix={`${id}-param`}
        fields={fields}
        values={values}
        errors={errors}
        onChange={change}
        choices={choices}
        multiline={jobType.name === "query.tap" ? ["query"] : []}
      />
      <div className="field-grid">
        <div className="field">
          <label htmlFor={`${id}-label`}>Label (optional)</label>
          <input
            id={`${id}-label`}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            maxLength={64}
            autoComplete="off"
          />
        </div>
        <div className="field field-check">
          <label htmlFor={`${id}-run`}>Run it now</label>
          <input id={`${id}-run`} type="checkbox" checked={runNow} onChange={(e) => setRunNow(e.target.checked)} />
        </div>
      </div>
      <div className="form-actions">
        <button type="submit">Create job</button>
      </div>
      {outcome && (
        <div
          className={outcome.kind === "error" ? "alert alert-error" : "alert alert-success"}
          role={outcome.kind === "error" ? "alert" : undefined}
          data-testid="job-form-outcome"
        >
          {outcome.text}
          {outcome.problems && outcome.problems.length > 0 && (
            <ul>
              {outcome.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {data.tapDatasets.length === 0 && jobType.name === "query.tap" && (
        <Notice kind="warning">No TAP dataset is configured.</Notice>
      )}
    </form>
  );
}
