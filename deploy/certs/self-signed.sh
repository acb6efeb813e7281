#!/usr/bin/env bash
# Certificates for the colormesh webhook without cert-manager: makes a private CA and a serving
# certificate with openssl, stores them in the Secret the webhook mounts, and puts the CA into the
# MutatingWebhookConfiguration's caBundle. Run it after `kubectl apply -k deploy/base`, and again
# before the certificate expires (the webhook picks up the new Secret without a restart).
#
#   deploy/certs/self-signed.sh [--namespace colormesh-system] [--days 365] [--out DIR] [--no-apply]
#
# --no-apply only writes ca.crt, ca.key, tls.crt and tls.key to DIR (nothing touches a cluster); an
# existing ca.crt/ca.key pair in DIR is reused.
set -euo pipefail

namespace=colormesh-system
service=colormesh-webhook
secret=colormesh-webhook-tls
webhook_config=colormesh-sidecar-injector
days=365
out=""
apply=true

while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-apply) apply=false; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "self-signed.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ -z "$out" ]; then
  out="$(mktemp -d)"
  # The CA key is only needed to sign; when the caller did not ask to keep files, do not leave it lying around.
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
umask 077

dns="${service}.${namespace}.svc"
ca_secret=colormesh-webhook-ca
# The CA is made once and kept (in the cluster as Secret colormesh-webhook-ca, or in --out): renewing
# only the serving certificate leaves the caBundle unchanged, so the API server keeps trusting the
# webhook while the new Secret propagates to its pods.
if [ "$apply" = true ] && kubectl -n "$namespace" get secret "$ca_secret" >/dev/null 2>&1; then
  kubectl -n "$namespace" get secret "$ca_secret" -o jsonpath='{.data.tls\.crt}' | base64 -d > "$out/ca.crt"
  kubectl -n "$namespace" get secret "$ca_secret" -o jsonpath='{.data.tls\.key}' | base64 -d > "$out/ca.key"
elif [ ! -s "$out/ca.key" ] || [ ! -s "$out/ca.crt" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days $((days * 10)) -subj "/CN=colormesh-webhook-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
  if [ "$apply" = true ]; then
    kubectl -n "$namespace" create secret tls "$ca_secret" --cert="$out/ca.crt" --key="$out/ca.key"
  fi
fi

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=${dns}" -keyout "$out/tls.key" -out "$out/tls.csr" 2>/dev/null

cat > "$out/tls.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:${service}.${namespace}.svc,DNS:${service}.${namespace}.svc.cluster.local,DNS:${service}.${namespace}
EXT
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -days "$days" -extfile "$out/tls.ext" -out "$out/tls.crt" 2>/dev/null
rm -f "$out/tls.csr" "$out/tls.ext" "$out/ca.srl"
openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null

if [ "$apply" = false ]; then
  echo "wrote $out/ca.crt $out/ca.key $out/tls.crt $out/tls.key"
  exit 0
fi

kubectl -n "$namespace" create secret tls "$secret" --cert="$out/tls.crt" --key="$out/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -

ca_bundle="$(base64 < "$out/ca.crt" | tr -d '\n')"
count="$(kubectl get mutatingwebhookconfiguration "$webhook_config" -o jsonpath='{range .webhooks[*]}x{end}')"
patch="["
for ((i = 0; i < ${#count}; i++)); do
  [ "$i" -gt 0 ] && patch+=","
  patch+="{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$ca_bundle\"}"
done
patch+="]"
kubectl patch mutatingwebhookconfiguration "$webhook_config" --type=json -p "$patch"
echo "secret ${namespace}/${secret} written and caBundle set on ${webhook_config} (${#count} webhooks)"
