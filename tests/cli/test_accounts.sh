#!/usr/bin/env bash
# test_accounts.sh - users, vendors, memberships, tokens and the audit chain from the command line.
source "$(dirname "$0")/lib.sh"
DB="$T/acct.db"
PW='a long enough password'

run --db "$DB" user list
expect_rc "no users at first" 0
expect_contains "no default account" "$out" "no users yet"

"$LO" --db "$DB" user add --role admin root <<<"$PW" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "first admin from stdin" 0
run --db "$DB" user add --role admin --password x eve
expect_rc "no password on the command line" 2
"$LO" --db "$DB" user add --role admin root2 </dev/null >"$T/out" 2>"$T/err"; rc=$?
expect_rc "empty stdin is refused" 2
"$LO" --db "$DB" user add --role admin shorty <<<"short" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "short password refused" 1
"$LO" --db "$DB" user add --role wizard merlin <<<"$PW" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "unknown role is a usage error" 2

run --db "$DB" vendor add acme
expect_rc "vendor add" 0
run --db "$DB" vendor add acme
expect_rc "vendor name taken" 1
"$LO" --db "$DB" user add --role annotator --vendor acme ann <<<"$PW" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "vendor user" 0
"$LO" --db "$DB" user add --role annotator --vendor nope bob <<<"$PW" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "unknown vendor" 1
run --db "$DB" --json user list
expect_eq "two users" "$(jget "$out" 'len(j)')" 2
expect_eq "ann's vendor" "$(jget "$out" '[u["vendor"] for u in j if u["name"]=="ann"][0]')" acme
run --db "$DB" vendor list
expect_eq "vendor list" "$out" acme
if sqlite3 "$DB" 'SELECT password_hash FROM users' 2>/dev/null | grep -q 'long enough'; then
  ko "password stored hashed" "the password is in the database"
else
  ok "password stored hashed"
fi

run --db "$DB" project create cats
run --db "$DB" member add cats ann --role annotator
expect_rc "member add" 0
run --db "$DB" member add cats nobody --role annotator
expect_rc "member add unknown user" 1
expect_contains "names the user" "$err" "nobody"
run --db "$DB" member add cats ann --role admin
expect_rc "admin is not a project role" 1
run --db "$DB" member list cats
expect_contains "member list" "$out" "ann"
expect_contains "member role" "$out" "annotator"

run --db "$DB" token create --user ann --name ci
expect_rc "token create" 0
tok=$(echo "$out" | sed -n 's/^token [0-9]*: //p')
tid=$(echo "$out" | sed -n 's/^token \([0-9]*\): .*/\1/p')
expect_eq "token printed" "${tok:0:4}" "lot_"
if [ -n "$tok" ] && grep -aq "${tok#lot_}" "$DB" "$DB-wal" 2>/dev/null; then
  ko "token stored as a hash only" "the token is in the database file"
else
  ok "token stored as a hash only"
fi
run --db "$DB" token revoke "$tid"
expect_rc "token revoke" 0
run --db "$DB" token revoke "$tid"
expect_rc "revoking twice" 1
run --db "$DB" token revoke abc
expect_rc "token id must be a number" 2

run --db "$DB" user role ann --role reviewer
expect_rc "user role" 0
run --db "$DB" --json user list
expect_eq "role changed" "$(jget "$out" '[u["role"] for u in j if u["name"]=="ann"][0]')" reviewer
run --db "$DB" user role nobody --role reviewer
expect_rc "role of an unknown user" 1

run --db "$DB" user disable ann
expect_rc "user disable" 0
run --db "$DB" --json user list
expect_eq "disabled" "$(jget "$out" '[u["disabled"] for u in j if u["name"]=="ann"][0]')" true
run --db "$DB" user enable ann
expect_rc "user enable" 0
run --db "$DB" --json user list
expect_eq "enabled again" "$(jget "$out" '[u["disabled"] for u in j if u["name"]=="ann"][0]')" false
run --db "$DB" --json user enable ann
expect_rc "enabling an active user is refused" 1
expect_contains "enabling an active user names the field" "$err" '"field":"disabled"'
run --db "$DB" user enable nobody
expect_rc "enabling an unknown user" 1
run --db "$DB" user disable ann
expect_rc "user disable again" 0
run --db "$DB" --json user add --role annotator a/b <<<"long-enough-pw"
expect_rc "a user name with / is refused" 1
expect_contains "a user name with / names the field" "$err" '"field":"name"'
run --db "$DB" --json project create team/alpha
expect_rc "a project name with / is refused" 1
expect_contains "a project name with / names the field" "$err" '"field":"name"'
run --db "$DB" project list
expect_eq "the refused project was not created" "$(echo "$out" | grep -c 'team/alpha')" 0

run --db "$DB" audit verify
expect_rc "audit verify" 0
expect_contains "audit intact" "$out" "intact"
run --db "$DB" --json audit list
kinds=$(jget "$out" '" ".join(e["kind"] for e in j)')
expect_contains "user creation audited" "$kinds" "user_created"
expect_contains "membership audited" "$kinds" "member_set"
expect_contains "token creation audited" "$kinds" "token_created"
expect_contains "token revocation audited" "$kinds" "token_revoked"
expect_contains "disabling audited" "$kinds" "user_disabled"
expect_contains "enabling audited" "$kinds" "user_enabled"
expect_contains "role change audited" "$kinds" "user_role_set"

# Tampering with the file is found.
python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER events_audit_no_update")
db.execute("UPDATE events SET actor = 'mallory' WHERE audit_seq = 2")
db.commit()
PY
run --db "$DB" audit verify
expect_rc "tampered chain fails" 1
expect_contains "names the first bad entry" "$err" "entry 2"

finish
