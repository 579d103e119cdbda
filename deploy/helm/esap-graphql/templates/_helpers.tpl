{{/* Names, labels and the pieces gateway and worker pods share. */}}

{{- define "esap.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "esap.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "esap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "esap.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "esap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "esap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "esap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "esap.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "esap.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The Secret and key holding each URL: the user's own Secret, or the chart's. */}}
{{- define "esap.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "esap.fullname" .)) }}
{{- end }}
{{- define "esap.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}
{{- define "esap.redisSecret" -}}
{{- .Values.redisConnection.existingSecret | default (printf "%s-redis" (include "esap.fullname" .)) }}
{{- end }}
{{- define "esap.redisSecretKey" -}}
{{- if .Values.redisConnection.existingSecret }}{{ .Values.redisConnection.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}
{{- define "esap.oidcSecret" -}}
{{- .Values.oidc.existingSecret | default (printf "%s-oidc" (include "esap.fullname" .)) }}
{{- end }}
{{- define "esap.oidcSecretKey" -}}
{{- if .Values.oidc.existingSecret }}{{ .Values.oidc.existingSecretKey }}{{ else }}client-secret{{ end }}
{{- end }}

{{/* The in-chart PostgreSQL password: as given, as stored by an earlier release, or new. */}}
{{- define "esap.postgresqlPassword" -}}
{{- if .Values.postgresql.auth.password }}
{{- .Values.postgresql.auth.password }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (printf "%s-postgresql" (include "esap.fullname" .)) }}
{{- if and $existing $existing.data (index $existing.data "password") }}
{{- index $existing.data "password" | b64dec }}
{{- else }}
{{- randAlphaNum 24 }}
{{- end }}
{{- end }}
{{- end }}

{{- define "esap.publicUrl" -}}
{{- if .Values.settings.publicUrl }}
{{- .Values.settings.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) $host }}
{{- end }}
{{- end }}

{{/* Environment of every esap-graphql container. */}}
{{- define "esap.env" -}}
- name: ESAP_CONFIG
  value: /etc/esap/catalogue.yaml
- name: ESAP_DATA_DIR
  value: /var/lib/esap/data
- name: ESAP_JOB_RESULTS_DIR
  value: /var/lib/esap/results
- name: ESAP_LOG_LEVEL
  value: {{ .Values.settings.logLevel | quote }}
- name: HOME
  value: /tmp
- name: ESAP_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "esap.databaseSecret" . }}
      key: {{ include "esap.databaseSecretKey" . }}
- name: ESAP_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "esap.redisSecret" . }}
      key: {{ include "esap.redisSecretKey" . }}
{{- with (include "esap.publicUrl" .) }}
- name: ESAP_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.oidc }}
{{- if .issuer }}
- name: ESAP_OIDC_ISSUER
  value: {{ .issuer | quote }}
{{- end }}
{{- if .audience }}
- name: ESAP_OIDC_AUDIENCE
  value: {{ .audience | quote }}
{{- end }}
{{- if .jwksUrl }}
- name: ESAP_OIDC_JWKS_URL
  value: {{ .jwksUrl | quote }}
{{- end }}
{{- end }}
{{- if or .Values.oidc.clientSecret .Values.oidc.existingSecret }}
- name: ESAP_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "esap.oidcSecret" . }}
      key: {{ include "esap.oidcSecretKey" . }}
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Volumes of every esap-graphql pod: catalogue, shared results, scratch space. */}}
{{- define "esap.volumes" -}}
- name: catalogue
  configMap:
    name: {{ include "esap.fullname" . }}-catalogue
- name: results
{{- if .Values.results.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ .Values.results.persistence.existingClaim | default (printf "%s-results" (include "esap.fullname" .)) }}
{{- else }}
  emptyDir: {}
{{- end }}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end }}

{{- define "esap.volumeMounts" -}}
- name: catalogue
  mountPath: /etc/esap
  readOnly: true
- name: results
  mountPath: /var/lib/esap/results
- name: data
  mountPath: /var/lib/esap/data
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Checks of values that do not go together. */}}
{{- define "esap.validate" -}}
{{- if and (not .Values.postgresql.enabled) (not .Values.database.url) (not .Values.database.existingSecret) }}
{{- fail "postgresql.enabled=false needs database.url or database.existingSecret" }}
{{- end }}
{{- if and (not .Values.redis.enabled) (not .Values.redisConnection.url) (not .Values.redisConnection.existingSecret) }}
{{- fail "redis.enabled=false needs redisConnection.url or redisConnection.existingSecret" }}
{{- end }}
{{- if and .Values.worker.enabled (not .Values.results.persistence.enabled) }}
{{- fail "workers write job results the gateway serves: results.persistence.enabled must be true" }}
{{- end }}
{{- end }}
