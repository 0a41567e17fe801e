{{/*
Standard name and label helpers (the layout of the prometheus-community and bitnami charts).
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "cctv.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name prefix of every object: "<release>-<chart>", or just the release name when it already
contains the chart name. Truncated to 63 characters because some fields (DNS labels) are limited to that.
*/}}
{{- define "cctv.fullname" -}}
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

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "cctv.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "cctv.labels" -}}
helm.sh/chart: {{ include "cctv.chart" . }}
{{ include "cctv.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cctv
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels a selector matches on (never change them: Deployment selectors are immutable). */}}
{{- define "cctv.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cctv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Names of the components' objects. */}}
{{- define "cctv.backend.fullname" -}}
{{- printf "%s-backend" (include "cctv.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "cctv.operator.fullname" -}}
{{- printf "%s-operator" (include "cctv.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "cctv.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "cctv.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels and selector labels of one component: (dict "ctx" $ "component" "backend"). */}}
{{- define "cctv.componentLabels" -}}
{{ include "cctv.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- define "cctv.componentSelectorLabels" -}}
{{ include "cctv.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* ServiceAccount names. */}}
{{- define "cctv.backend.serviceAccountName" -}}
{{- if .Values.backend.serviceAccount.create }}
{{- default (include "cctv.backend.fullname" .) .Values.backend.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.backend.serviceAccount.name }}
{{- end }}
{{- end }}
{{- define "cctv.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "cctv.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference from {registry, repository, tag, digest}: (dict "image" .Values.backend.image "ctx" $).
The tag defaults to the chart's appVersion; a digest wins over the tag.
*/}}
{{- define "cctv.image" -}}
{{- $repo := .image.repository }}
{{- if .image.registry }}
{{- $repo = printf "%s/%s" .image.registry .image.repository }}
{{- end }}
{{- if .image.digest }}
{{- printf "%s@%s" $repo .image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .ctx.Chart.AppVersion .image.tag | toString) }}
{{- end }}
{{- end }}

{{- define "cctv.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* In-cluster URL of the backend Service. */}}
{{- define "cctv.backend.url" -}}
{{- printf "http://%s.%s.svc:%d" (include "cctv.backend.fullname" .) .Release.Namespace (int .Values.backend.service.port) }}
{{- end }}

{{/*
The backend Secret (SECRET_KEY, and DATABASE_URL for an external database given by URL). Reuses the
values of an existing Secret on upgrade so that a generated key does not change (it signs sessions and
camera ingest tokens).
*/}}
{{- define "cctv.backend.secretName" -}}
{{- default (include "cctv.backend.fullname" .) .Values.backend.existingSecret }}
{{- end }}

{{/* Where DATABASE_URL comes from: {name, key} of a Secret, or nothing for the in-chart PostgreSQL. */}}
{{- define "cctv.database.secretName" -}}
{{- if .Values.database.external.existingSecret }}
{{- .Values.database.external.existingSecret }}
{{- else }}
{{- include "cctv.backend.secretName" . }}
{{- end }}
{{- end }}
{{- define "cctv.database.secretKey" -}}
{{- if .Values.database.external.existingSecret }}
{{- .Values.database.external.existingSecretKey }}
{{- else }}
{{- print "database-url" }}
{{- end }}
{{- end }}

{{- define "cctv.postgresql.secretName" -}}
{{- default (include "cctv.postgresql.fullname" .) .Values.postgresql.auth.existingSecret }}
{{- end }}

{{- define "cctv.operator.secretName" -}}
{{- default (include "cctv.operator.fullname" .) .Values.operator.existingSecret }}
{{- end }}

{{/*
A value kept across upgrades: the given one, else the one already in the Secret, else a new random one.
(dict "ctx" $ "secret" NAME "key" KEY "value" GIVEN "generate" "alnum32" | "hex40")
*/}}
{{- define "cctv.secretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else if eq .generate "hex40" }}
{{- randAlphaNum 64 | sha1sum }}
{{- else }}
{{- randAlphaNum 50 }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where the backend's secrets are mounted as files (backend.secretsAsFiles). */}}
{{- define "cctv.backend.secretsDir" -}}
/run/secrets/cctv
{{- end }}

{{/*
The backend's secrets as files (backend.secretsAsFiles): secret-key from the backend Secret, and
database-url from the database's Secret for an external database. One projected volume, readable by the
pod's group only (fsGroup); the mount is read-only. Empty when the secrets go in as variables.
*/}}
{{- define "cctv.backend.secretsVolume" -}}
{{- if .Values.backend.secretsAsFiles }}
- name: backend-secrets
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ include "cctv.backend.secretName" . }}
          items:
            - key: secret-key
              path: secret-key
      {{- if not .Values.postgresql.enabled }}
      - secret:
          name: {{ include "cctv.database.secretName" . }}
          items:
            - key: {{ include "cctv.database.secretKey" . }}
              path: database-url
      {{- end }}
      {{- with .Values.backend.sso.oidc }}
      {{- if and .issuer .existingSecret }}
      - secret:
          name: {{ .existingSecret }}
          items:
            - key: {{ .existingSecretKey }}
              path: oidc-client-secret
      {{- end }}
      {{- end }}
{{- end }}
{{- end }}
{{- define "cctv.backend.secretsMount" -}}
{{- if .Values.backend.secretsAsFiles }}
- name: backend-secrets
  mountPath: {{ include "cctv.backend.secretsDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
The environment that the backend container and the migrations Job share: database, secret key, hosts.
*/}}
{{- define "cctv.backend.env" -}}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- if .Values.postgresql.enabled }}
- name: CCTV_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "cctv.postgresql.secretName" . }}
      key: password
# Kubernetes expands $(VAR) from the variable above: the password exists only in the PostgreSQL Secret.
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(CCTV_DATABASE_PASSWORD)@%s:5432/%s" .Values.postgresql.auth.username (include "cctv.postgresql.fullname" .) .Values.postgresql.auth.database | quote }}
{{- else if .Values.backend.secretsAsFiles }}
- name: DATABASE_URL_FILE
  value: {{ printf "%s/database-url" (include "cctv.backend.secretsDir" .) | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "cctv.database.secretName" . }}
      key: {{ include "cctv.database.secretKey" . }}
{{- end }}
{{- if .Values.backend.secretsAsFiles }}
- name: SECRET_KEY_FILE
  value: {{ printf "%s/secret-key" (include "cctv.backend.secretsDir" .) | quote }}
{{- else }}
- name: SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "cctv.backend.secretName" . }}
      key: secret-key
{{- end }}
- name: DEBUG
  value: {{ ternary "1" "0" .Values.backend.debug | quote }}
- name: ALLOWED_HOSTS
  value: {{ include "cctv.backend.allowedHosts" . | quote }}
{{- with .Values.backend.csrfTrustedOrigins }}
- name: CSRF_TRUSTED_ORIGINS
  value: {{ join "," . | quote }}
{{- end }}
- name: HTTPS_ONLY
  value: {{ ternary "1" "0" .Values.backend.httpsOnly | quote }}
- name: MEDIA_ROOT
  value: /data/media
{{ include "cctv.mediaStore.env" . }}
- name: ALERT_RETENTION_DAYS
  value: {{ .Values.backend.alertRetentionDays | quote }}
- name: AUDIT_RETENTION_DAYS
  value: {{ .Values.backend.auditRetentionDays | quote }}
- name: RECORDING_SEGMENT_MAX_BYTES
  value: {{ .Values.backend.recordings.segmentMaxBytes | int64 | quote }}
- name: RECORDING_STORAGE_PER_USER_BYTES
  value: {{ .Values.backend.recordings.storagePerUserBytes | int64 | quote }}
- name: RECORDING_STORAGE_TOTAL_BYTES
  value: {{ .Values.backend.recordings.storageTotalBytes | int64 | quote }}
# Behind the Ingress controller one proxy adds X-Forwarded-For; the login throttle must count the client
# it names, not the proxy (and must not trust a client's own header when there is no proxy).
- name: NUM_PROXIES
  value: {{ ternary "1" "0" .Values.backend.ingress.enabled | quote }}
{{ include "cctv.cameraNetworksEnv" . }}
{{ include "cctv.sso.env" . }}
{{- end }}

{{/*
Single sign-on (backend.sso): every backend process reads these settings at start-up. The client secret
comes from backend.sso.oidc.existingSecret only, as a mounted file when backend.secretsAsFiles.
*/}}
{{- define "cctv.sso.env" -}}
{{- $sso := .Values.backend.sso }}
{{- $oidc := $sso.oidc }}
- name: LOCAL_PASSWORDS
  value: {{ ternary "1" "0" $sso.localPasswords | quote }}
- name: TRUSTED_PROXY_NETWORKS
  value: {{ join "," $sso.trustedProxyNetworks | quote }}
{{- if $oidc.issuer }}
- name: OIDC_ISSUER
  value: {{ $oidc.issuer | quote }}
- name: OIDC_CLIENT_ID
  value: {{ required "backend.sso.oidc.clientId is required with backend.sso.oidc.issuer" $oidc.clientId | quote }}
- name: OIDC_PROVIDER_NAME
  value: {{ $oidc.providerName | quote }}
- name: OIDC_SCOPES
  value: {{ $oidc.scopes | quote }}
- name: OIDC_GROUPS_CLAIM
  value: {{ $oidc.groupsClaim | quote }}
- name: OIDC_ROLE_MAP
  value: {{ $oidc.roleMap | quote }}
{{- if $oidc.existingSecret }}
{{- if .Values.backend.secretsAsFiles }}
- name: OIDC_CLIENT_SECRET_FILE
  value: {{ printf "%s/oidc-client-secret" (include "cctv.backend.secretsDir" .) | quote }}
{{- else }}
- name: OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $oidc.existingSecret }}
      key: {{ $oidc.existingSecretKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Notification settings, shared by gunicorn (the channel test action sends) and the notifier. */}}
{{- define "cctv.notifications.env" -}}
{{- $n := .Values.backend.notifications }}
- name: NOTIFY_ALLOWED_NETWORKS
  value: {{ join "," $n.allowedNetworks | quote }}
- name: NOTIFY_RETRY_WINDOW_SECONDS
  value: {{ $n.retryWindowSeconds | quote }}
- name: NOTIFY_CONCURRENCY
  value: {{ $n.concurrency | quote }}
- name: NOTIFY_METRICS_PORT
  value: {{ $n.metricsPort | quote }}
- name: PUBLIC_URL
  value: {{ include "cctv.backend.publicUrl" . | quote }}
- name: EMAIL_HOST
  value: {{ $n.smtp.host | quote }}
- name: EMAIL_PORT
  value: {{ $n.smtp.port | quote }}
- name: EMAIL_HOST_USER
  value: {{ $n.smtp.username | quote }}
- name: EMAIL_USE_TLS
  value: {{ ternary "1" "0" $n.smtp.useTls | quote }}
- name: DEFAULT_FROM_EMAIL
  value: {{ $n.smtp.from | quote }}
{{- end }}

{{/* Links in notifications: backend.notifications.publicUrl, else the first Ingress host, else the Service. */}}
{{- define "cctv.backend.publicUrl" -}}
{{- $n := .Values.backend.notifications }}
{{- if $n.publicUrl }}
{{- $n.publicUrl }}
{{- else if and .Values.backend.ingress.enabled .Values.backend.ingress.hosts }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.backend.ingress.tls) 0)) (first .Values.backend.ingress.hosts).host }}
{{- else }}
{{- printf "http://%s.%s.svc:%v" (include "cctv.backend.fullname" .) .Release.Namespace .Values.backend.service.port }}
{{- end }}
{{- end }}

{{/* ALLOWED_HOSTS: the Service names, the Ingress hosts, localhost, the pod IP (probes, scrapes), extras. */}}
{{- define "cctv.backend.allowedHosts" -}}
{{- $svc := include "cctv.backend.fullname" . }}
{{- $hosts := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) "localhost" "127.0.0.1" "$(POD_IP)" }}
{{- if .Values.backend.ingress.enabled }}
{{- range .Values.backend.ingress.hosts }}
{{- $hosts = append $hosts .host }}
{{- end }}
{{- end }}
{{- $hosts = concat $hosts .Values.backend.allowedHosts }}
{{- join "," (uniq $hosts) }}
{{- end }}

{{/* The worker's scheduling defaults, as JSON for the operator. Worker pods hold no GPU: the worker image has
no CUDA runtime; GPUs go to the shared detector's pools (values: detector.pools). */}}
{{- define "cctv.worker.resources" -}}
{{- toJson .Values.worker.resources }}
{{- end }}
{{- define "cctv.worker.nodeSelector" -}}
{{- toJson .Values.worker.nodeSelector }}
{{- end }}
{{- define "cctv.worker.tolerations" -}}
{{- toJson .Values.worker.tolerations }}
{{- end }}

{{/* The gRPC address of the detector pool the workers use by default (empty when the shared detector is
off, or detector.workerPool is empty: then a camera runs in its worker unless it names a pool). */}}
{{- define "cctv.worker.detectorUrl" -}}
{{- if and .Values.detector.enabled .Values.detector.workerPool }}
{{- $names := list }}
{{- range .Values.detector.pools }}{{- $names = append $names .name }}{{- end }}
{{- if not (has .Values.detector.workerPool $names) }}
{{- fail (printf "detector.workerPool %q is not one of detector.pools (%s)" .Values.detector.workerPool (join ", " $names)) }}
{{- end }}
{{- $name := printf "%s-detector-%s" (include "cctv.fullname" .) .Values.detector.workerPool | trunc 63 | trimSuffix "-" }}
{{- printf "grpc://%s.%s.svc:8001" $name .Release.Namespace }}
{{- end }}
{{- end }}

{{/* Every detector pool's gRPC address by pool name (JSON), for cameras that name a pool
(spec.detection.detector); the operator's WORKER_DETECTOR_POOLS. */}}
{{- define "cctv.worker.detectorPools" -}}
{{- $pools := dict }}
{{- if .Values.detector.enabled }}
{{- range .Values.detector.pools }}
{{- $name := printf "%s-detector-%s" (include "cctv.fullname" $) .name | trunc 63 | trimSuffix "-" }}
{{- $_ := set $pools .name (printf "grpc://%s.%s.svc:8001" $name $.Release.Namespace) }}
{{- end }}
{{- end }}
{{- toJson $pools }}
{{- end }}

{{/* Pod-level security context; the component's own overrides the chart-wide one. */}}
{{- define "cctv.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}
{{- define "cctv.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/*
checkov skips that apply to every workload of this chart, each with its reason:
- CKV_K8S_43 (image by digest): images are pinned by version tag; set image.digest to pin by content.
- CKV_K8S_15 (pullPolicy Always): version tags are immutable in our release process; Always would make every
  pod start depend on the registry.
- CKV_K8S_35 (secrets as files): Django, the operator and the worker read their settings, secrets included,
  from the environment (the seed's contract); the values come from Secrets, never from the chart's YAML.
*/}}
{{- define "cctv.checkovWorkloadSkips" -}}
checkov.io/skip1: CKV_K8S_43=Images are pinned by version tag; set image.digest to pin by content
checkov.io/skip2: CKV_K8S_15=Version tags are immutable; Always would make each pod start depend on the registry
checkov.io/skip3: CKV_K8S_35=The apps read settings from the environment (seed contract); values come from Secrets
{{- end }}

{{/* The camera network policy, for the backend and (through the operator) every worker. */}}
{{- define "cctv.cameraNetworksEnv" -}}
- name: CAMERA_ALLOWED_NETWORKS
  value: {{ .Values.cameraNetworks.allowed | quote }}
- name: CAMERA_DENIED_NETWORKS
  value: {{ .Values.cameraNetworks.denied | quote }}
{{- end }}

{{/* The media store's settings (settings/media.py). Credentials are files of a mounted Secret
(MEDIA_S3_*_FILE): never in the pod's environment, where `kubectl describe` and crash dumps show them. */}}
{{- define "cctv.mediaStore.env" -}}
{{- $m := .Values.mediaStore -}}
- name: MEDIA_STORE
  value: {{ $m.type | quote }}
- name: MEDIA_SERVE_MODE
  value: {{ $m.serveMode | quote }}
- name: MEDIA_URL_EXPIRY_SECONDS
  value: {{ $m.urlExpirySeconds | quote }}
{{- if eq $m.type "s3" }}
{{- if not $m.s3.bucket }}
{{- fail "mediaStore.type s3 needs mediaStore.s3.bucket" }}
{{- end }}
- name: MEDIA_S3_BUCKET
  value: {{ $m.s3.bucket | quote }}
- name: MEDIA_S3_ENDPOINT_URL
  value: {{ $m.s3.endpoint | quote }}
- name: MEDIA_S3_REGION
  value: {{ $m.s3.region | quote }}
- name: MEDIA_S3_PATH_STYLE
  value: {{ ternary "1" "0" $m.s3.pathStyle | quote }}
- name: MEDIA_S3_TIMEOUT_SECONDS
  value: {{ $m.s3.timeoutSeconds | quote }}
{{- if $m.s3.existingSecret }}
- name: MEDIA_S3_ACCESS_KEY_ID_FILE
  value: /etc/cctv/media-store/access-key-id
- name: MEDIA_S3_SECRET_ACCESS_KEY_FILE
  value: /etc/cctv/media-store/secret-access-key
{{- end }}
{{- end }}
{{- end }}

{{/* The media volume (filesystem store) or the store's credentials (s3), as volumeMounts of a container. */}}
{{- define "cctv.mediaStore.volumeMounts" -}}
{{- $m := .ctx.Values.mediaStore -}}
{{- if eq $m.type "s3" }}
{{- if $m.s3.existingSecret }}
- name: media-store-credentials
  mountPath: /etc/cctv/media-store
  readOnly: true
{{- end }}
{{- else if .media }}
- name: media
  mountPath: /data/media
  {{- if .readOnly }}
  readOnly: true
  {{- end }}
{{- end }}
{{- end }}

{{- define "cctv.mediaStore.volumes" -}}
{{- $m := .ctx.Values.mediaStore -}}
{{- if eq $m.type "s3" }}
{{- if $m.s3.existingSecret }}
- name: media-store-credentials
  secret:
    secretName: {{ $m.s3.existingSecret }}
    defaultMode: 0440
    items:
      - {key: access-key-id, path: access-key-id}
      - {key: secret-access-key, path: secret-access-key}
{{- end }}
{{- else if .media }}
- name: media
  {{- if .ctx.Values.backend.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-media" (include "cctv.backend.fullname" .ctx)) .ctx.Values.backend.persistence.existingClaim }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- end }}
{{- end }}

{{/* Backend replicas: with the s3 store no volume ties a pod to a node, and at least 2 run. */}}
{{- define "cctv.backend.replicas" -}}
{{- if eq .Values.mediaStore.type "s3" }}{{ max 2 (int .Values.backend.replicaCount) }}{{ else }}{{ .Values.backend.replicaCount }}{{ end }}
{{- end }}
