{{/* Names */}}
{{- define "tokenplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tokenplane.fullname" -}}
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

{{- define "tokenplane.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tokenplane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tokenplane.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required with serviceAccount.create=false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels: the standard app.kubernetes.io set on everything, the selector subset on pods. */}}
{{- define "tokenplane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tokenplane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tokenplane.labels" -}}
helm.sh/chart: {{ include "tokenplane.chart" . }}
{{ include "tokenplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: tokenplane
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tokenplane.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Storage: "true" when the embedded server keeps its data in PGlite (one process only). */}}
{{- define "tokenplane.externalDatabase" -}}
{{- if or .Values.postgresql.url .Values.postgresql.existingSecret }}true{{ end }}
{{- end }}

{{- define "tokenplane.embeddedDatabase" -}}
{{- if and .Values.embeddedServer.enabled (not (include "tokenplane.externalDatabase" .)) }}true{{ end }}
{{- end }}

{{- define "tokenplane.claimName" -}}
{{- default (printf "%s-data" (include "tokenplane.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/* Where each secret value comes from: an existing Secret, or the chart's own Secret. */}}
{{- define "tokenplane.adminTokenSecret" -}}
{{- default (include "tokenplane.fullname" .) .Values.adminToken.existingSecret }}
{{- end }}

{{- define "tokenplane.adminTokenKey" -}}
{{- if .Values.adminToken.existingSecret }}{{ .Values.adminToken.existingSecretKey }}{{ else }}admin-token{{ end }}
{{- end }}

{{- define "tokenplane.pepperSecret" -}}
{{- default (include "tokenplane.fullname" .) .Values.pepper.existingSecret }}
{{- end }}

{{- define "tokenplane.pepperKey" -}}
{{- if .Values.pepper.existingSecret }}{{ .Values.pepper.existingSecretKey }}{{ else }}pepper{{ end }}
{{- end }}

{{- define "tokenplane.databaseSecret" -}}
{{- default (include "tokenplane.fullname" .) .Values.postgresql.existingSecret }}
{{- end }}

{{- define "tokenplane.databaseKey" -}}
{{- if .Values.postgresql.existingSecret }}{{ .Values.postgresql.existingSecretKey }}{{ else }}database-url{{ end }}
{{- end }}

{{/* "true" when the chart's own Secret has anything to hold. */}}
{{- define "tokenplane.ownSecret" -}}
{{- if .Values.embeddedServer.enabled }}
{{- if or (not .Values.adminToken.existingSecret) (not .Values.pepper.existingSecret) (and .Values.postgresql.url (not .Values.postgresql.existingSecret)) }}true{{ end }}
{{- end }}
{{- end }}

{{/*
Combinations the chart refuses, each with the reason. values.schema.json checks types; these
are the rules across values.
*/}}
{{- define "tokenplane.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (include "tokenplane.embeddedDatabase" .) }}
{{- fail (printf "replicaCount is %d, but the embedded PGlite database allows one process at a time: set postgresql.url or postgresql.existingSecret (an external PostgreSQL) to run more than one replica, or keep replicaCount at 1" (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.postgresql.url .Values.postgresql.existingSecret }}
{{- fail "set either postgresql.url or postgresql.existingSecret, not both" }}
{{- end }}
{{- if and .Values.postgresql.url (not (regexMatch "^postgres(ql)?://" .Values.postgresql.url)) }}
{{- fail "postgresql.url must be a postgres:// or postgresql:// URL" }}
{{- end }}
{{- if and (include "tokenplane.externalDatabase" .) (not .Values.embeddedServer.enabled) }}
{{- fail "postgresql.* configures the embedded token server's storage, but embeddedServer.enabled is false" }}
{{- end }}
{{- if and .Values.dataPlane.enabled (not (include "tokenplane.externalDatabase" .)) }}
{{- fail "dataPlane.enabled needs an external PostgreSQL (postgresql.url or postgresql.existingSecret): the data-plane servers read the tokens the embedded server keeps there" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable)) }}
{{- fail "podDisruptionBudget: set either minAvailable or maxUnavailable (set the other to null)" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable)) (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below replicaCount (%d), or no node could ever be drained" (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- end }}
{{- end }}

{{/*
The data-plane servers: their own app.kubernetes.io/name, so that neither the operator's
Deployment (whose selector cannot change) nor its Service or PodDisruptionBudget select them.
*/}}
{{- define "tokenplane.dataPlaneName" -}}
{{- printf "%s-data-plane" (include "tokenplane.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tokenplane.dataPlaneSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-data-plane" (include "tokenplane.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tokenplane.dataPlaneLabels" -}}
helm.sh/chart: {{ include "tokenplane.chart" . }}
{{ include "tokenplane.dataPlaneSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: data-plane
app.kubernetes.io/part-of: tokenplane
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
