#!/usr/bin/env bash
# A party's first conversation with the demo's LMA (npm start): register, read the market's
# rules and clock, tender in the next open interval, read the tender and the position back,
# cancel. Each answer is printed after the payload's name. Needs curl and node.
# LMA=http://host:port to aim elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
LMA="${LMA:-http://127.0.0.1:3000}"

# 1. Register. The bearer token for every later request comes back in the x-party-token header.
TOKEN=$(curl -s -D - -o /dev/null -X POST "$LMA/lma/eiCreatePartyRegistration" \
  -H 'content-type: application/json' --data-binary @eiCreatePartyRegistration.json \
  | tr -d '\r' | sed -n 's/^x-party-token: //Ip')
[ -n "$TOKEN" ] || { echo "registration refused (is the partyID taken? change it in every file)" >&2; exit 1; }
echo "registered, token $TOKEN"

post () { # post PAYLOAD FILE ('-': standard input): prints the answer
  echo "$1: $(curl -s -X POST "$LMA/lma/$1" -H 'content-type: application/json' \
    -H "authorization: Bearer $TOKEN" --data-binary @"$2")"
}

# 2. The market's rules. Every answer's eiResponse.createdDateTime is the LMA's clock: the demo
#    runs on simulated time, hours ahead of yours.
RULES=$(post eiRequestMarketRules eiRequestMarketRules.json)
echo "$RULES"

# 3. The next interval still open: the first start on the market's granularity after the LMA's
#    now plus gateClosure (durations here in hours, minutes and seconds).
DT_START=$(node -e '
  const answer = JSON.parse(process.argv[1].replace(/^[^:]*: /, ""))
  const rules = answer.marketRules[0]
  const ms = (d) => { const [, h, m, s] = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(d); return ((+h || 0) * 3600 + (+m || 0) * 60 + (+s || 0)) * 1000 }
  const open = Date.parse(answer.eiResponse.createdDateTime) + ms(rules.gateClosure)
  console.log(new Date(Math.ceil(open / ms(rules.granularity)) * ms(rules.granularity)).toISOString())' "$RULES")
echo "next open interval: $DT_START"

# 4. Tender in it (DT_START in the file is replaced by that interval), then read it back.
sed "s/DT_START/$DT_START/" eiCreateTender.json | post eiCreateTender -
post eiRequestTender eiRequestTender.json

# 5. The position in that interval (what has traded: buy +, sell -), then cancel the tender.
sed "s/DT_START/$DT_START/" eiRequestPosition.json | post eiRequestPosition -
post eiCancelTender eiCancelTender.json
