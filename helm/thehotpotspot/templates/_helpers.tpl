{{/* Chart name, release-scoped full name and the labels every object carries. */}}
{{- define "hotpot.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hotpot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hotpot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hotpot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: thehotpotspot
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "api"). */}}
{{- define "hotpot.selector" -}}
app.kubernetes.io/name: {{ include "hotpot.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hotpot.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "hotpot.pgCluster" -}}
{{- printf "%s-pg" (include "hotpot.fullname" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* Pod-level hardening shared by every workload. */}}
{{- define "hotpot.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "hotpot.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end -}}

{{/* The environment of the API, the relay and the migrations. */}}
{{- define "hotpot.env" -}}
- name: HOTPOT_ENV
  value: {{ .Values.env.hotpotEnv | quote }}
- name: HOTPOT_EMBEDDED
  value: "false"
- name: TRUSTED_PROXY_HOPS
  value: {{ .Values.env.trustedProxyHops | quote }}
- name: LOG_LEVEL
  value: {{ .Values.env.logLevel | quote }}
- name: PORT
  value: {{ .Values.service.targetPort | quote }}
- name: OWNER_ADDRESS
  value: {{ .Values.network.ownerAddress | quote }}
- name: CHARITY_ADDRESS
  value: {{ .Values.network.charityAddress | quote }}
- name: CUSTODY_ADDRESS
  value: {{ .Values.network.custodyAddress | quote }}
- name: PUBLIC_BASE_URL
  value: {{ .Values.network.publicBaseUrl | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "hotpot.pgCluster" . }}-app
      key: uri
- name: DB_USER
  valueFrom:
    secretKeyRef:
      name: {{ include "hotpot.pgCluster" . }}-app
      key: username
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "hotpot.pgCluster" . }}-app
      key: password
- name: DATABASE_REPLICA_URL
  value: {{ printf "postgresql://$(DB_USER):$(DB_PASSWORD)@%s-ro:5432/%s" (include "hotpot.pgCluster" .) .Values.postgresql.auth.database | quote }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: redis-url
- name: JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: jwt-secret
- name: ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: encryption-key
- name: RECEIPT_CODE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: receipt-code-secret
- name: CHAIN_RPC_URLS
  value: {{ include "hotpot.chainUrls" . | quote }}
- name: IPFS_API_URL
  value: {{ .Values.ipfs.apiUrl | quote }}
{{- end -}}

{{- define "hotpot.chainUrls" -}}
{{- $urls := list -}}
{{- $full := include "hotpot.fullname" . -}}
{{- range $i, $_ := .Values.chain.validators -}}
{{- $urls = append $urls (printf "http://%s-besu-%d.%s-besu:8545" $full $i $full) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{/* DNS egress to the cluster resolver, for every NetworkPolicy. */}}
{{- define "hotpot.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{- define "hotpot.postgresEgress" -}}
- to:
    - podSelector:
        matchLabels:
          cnpg.io/cluster: {{ include "hotpot.pgCluster" . }}
  ports:
    - protocol: TCP
      port: 5432
{{- end -}}

{{/* The validators' public keys or addresses, comma separated. */}}
{{- define "hotpot.validatorField" -}}
{{- $out := list -}}
{{- range .ctx.Values.chain.validators -}}
{{- $out = append $out (get . $.field) -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{/*
QBFT extraData = RLP([32-byte vanity, [validator addresses], [] (no vote), 0 (round), [] (no seals)]).
For 3..10 validators every length fits one byte, so the encoding is a fixed layout.
*/}}
{{- define "hotpot.qbftExtraData" -}}
{{- $n := len .Values.chain.validators -}}
{{- if or (lt $n 3) (gt $n 10) -}}
{{- fail "chain.validators must list 3 to 10 validators" -}}
{{- end -}}
{{- $addrs := "" -}}
{{- range .Values.chain.validators -}}
{{- $a := lower (trimPrefix "0x" .address) -}}
{{- if ne (len $a) 40 -}}{{- fail (printf "validator address %q is not 20 bytes of hex" .address) -}}{{- end -}}
{{- $addrs = printf "%s94%s" $addrs $a -}}
{{- end -}}
{{- $list := printf "f8%02x%s" (mul $n 21) $addrs -}}
{{- $payload := printf "a0%s%sc080c0" (repeat 64 "0") $list -}}
{{- printf "0xf8%02x%s" (add 38 (mul $n 21)) $payload -}}
{{- end -}}

{{/*
The colours of the API Deployments as a JSON list: [""] (one Deployment, rolling
updates) or ["blue","green"] when blueGreen.enabled (scripts/blue-green-deploy.sh).
*/}}
{{- define "hotpot.apiColors" -}}
{{- if .Values.blueGreen.enabled -}}
{{- if .Values.canary.enabled -}}
{{- fail "blueGreen.enabled and canary.enabled are two deploy strategies: enable one" -}}
{{- end -}}
{{- if not (has .Values.blueGreen.activeColor (list "blue" "green")) -}}
{{- fail (printf "blueGreen.activeColor must be blue or green, not %q" .Values.blueGreen.activeColor) -}}
{{- end -}}
["blue","green"]
{{- else -}}
[""]
{{- end -}}
{{- end -}}

{{/* Name of the API Deployment of one colour: call with (dict "ctx" $ "color" $color). */}}
{{- define "hotpot.apiDeployment" -}}
{{- include "hotpot.fullname" .ctx }}-api{{ if .color }}-{{ .color }}{{ end -}}
{{- end -}}
