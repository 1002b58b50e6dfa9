#!/usr/bin/env bash
# The document service: a CTS payload in our JSON form, converted to CTS XML.
set -euo pipefail
LMA="${LMA:-http://127.0.0.1:3000}"
curl -s -X POST "$LMA/cts/payloads/eiCancelTender/convert?to=xml" \
  -H 'content-type: application/json' -d '{"requestID":"r1","partyID":"p1","tenderID":["t1"]}'
