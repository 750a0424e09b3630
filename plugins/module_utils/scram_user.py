# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""SCRAM credential planning for kafkaops.kraft.kafka_user.

Pure functions (validate_users, desired_credentials, plan_credentials, ...)
decide what must change and are unit-tested without Kafka; ScramUserService
does the I/O against a KafkaAdminClient.

Passwords travel only inside plan["upserts"]; nothing that is returned, shown
in a diff, warned about or raised ever contains one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError

MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
DEFAULT_MECHANISM = "SCRAM-SHA-512"
DEFAULT_ITERATIONS = 8192
# Kafka's bounds (org.apache.kafka.common.security.scram.internals.ScramMechanism).
MIN_ITERATIONS = 4096
MAX_ITERATIONS = 16384
UPDATE_MODES = ("on_create", "always")  # the module's update_password


def _entry_label(index, entry):
    return "users[%d] (%s)" % (index, entry.get("name") or "no name")


def entry_mechanisms(entry):
    """The mechanisms an entry names, de-duplicated in order; None when it names none."""
    listed = entry.get("mechanisms")
    if listed is None and entry.get("mechanism") is not None:
        listed = [entry["mechanism"]]
    if listed is None:
        return None
    seen = []
    for mechanism in listed:
        if mechanism not in seen:
            seen.append(mechanism)
    return seen


def validate_users(users, update_mode="on_create"):
    """Problems in the module options alone, found before any connection."""
    errors = []
    if update_mode not in UPDATE_MODES:
        errors.append("update_password must be on_create or always, got %r" % (update_mode,))
    for index, entry in enumerate(users or []):
        label = _entry_label(index, entry)
        name = entry.get("name")
        if not name:
            errors.append("%s: name must not be empty" % label)
        state = entry.get("state") or "present"
        if state not in ("present", "absent"):
            errors.append("%s: state must be present or absent, got %r" % (label, state))
        if entry.get("mechanism") is not None and entry.get("mechanisms") is not None:
            errors.append("%s: set mechanism or mechanisms, not both" % label)
        mechanisms = entry_mechanisms(entry)
        if mechanisms is not None and not mechanisms:
            errors.append("%s: mechanisms must list at least one of %s" % (label, ", ".join(MECHANISMS)))
        for mechanism in mechanisms or []:
            if mechanism not in MECHANISMS:
                errors.append("%s: mechanism %r is not supported; use %s" % (label, mechanism, " or ".join(MECHANISMS)))
        if state != "present":
            continue
        iterations = entry.get("iterations")
        if iterations is None:
            iterations = DEFAULT_ITERATIONS
        if isinstance(iterations, bool) or not isinstance(iterations, int):
            errors.append("%s: iterations must be an integer" % label)
        elif not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
            errors.append(
                "%s: iterations %d is out of range; Kafka accepts %d to %d"
                % (label, iterations, MIN_ITERATIONS, MAX_ITERATIONS)
            )
        if entry.get("password") is None or entry.get("password") == "":
            errors.append("%s: state present needs a non-empty password" % label)
    return errors


def desired_credentials(users):
    """Expand validated entries into credentials keyed by (user, mechanism).

    Returns (present, absent_mechanisms, absent_users): present maps
    (user, mechanism) -> {iterations, password}; absent_mechanisms is a set of
    (user, mechanism); absent_users the users whose every credential goes.
    Raises KafkaModuleError when two entries claim the same credential.
    """
    present = {}
    absent_mechanisms = set()
    absent_users = set()
    owner = {}
    problems = []

    def claim(key, index, entry):
        if key in owner:
            problems.append(
                "user %s %s is listed twice (users[%d] and users[%d]); list each credential once"
                % (key[0], key[1] or "(all mechanisms)", owner[key], index)
            )
            return False
        owner[key] = index
        return True

    for index, entry in enumerate(users or []):
        name = entry["name"]
        state = entry.get("state") or "present"
        mechanisms = entry_mechanisms(entry)
        if state == "absent" and mechanisms is None:
            if claim((name, None), index, entry):
                absent_users.add(name)
            continue
        for mechanism in mechanisms or [DEFAULT_MECHANISM]:
            if not claim((name, mechanism), index, entry):
                continue
            if state == "absent":
                absent_mechanisms.add((name, mechanism))
            else:
                iterations = entry.get("iterations")
                present[(name, mechanism)] = dict(
                    iterations=DEFAULT_ITERATIONS if iterations is None else iterations,
                    password=entry["password"],
                )
    for name in sorted(absent_users):
        clashing = sorted(m for (user, m) in owner if user == name and m is not None)
        if clashing:
            problems.append(
                "user %s is absent (all mechanisms) in users[%d] but also listed with %s; "
                "name the mechanisms to remove instead" % (name, owner[(name, None)], ", ".join(clashing))
            )
    if problems:
        raise KafkaModuleError("Invalid users: " + "; ".join(problems))
    return present, absent_mechanisms, absent_users


def parse_described(described):
    """describe_user_scram_credentials() result -> {user: {mechanism: iterations}}."""
    current = {}
    for user, info in (described or {}).items():
        if info.get("error"):
            raise KafkaModuleError("could not describe the SCRAM credentials of %s: %s" % (user, info["error"]))
        creds = {}
        for cred in info.get("credential_infos") or []:
            mechanism = cred["mechanism"]
            # kafka-python gives ScramMechanism.SCRAM_SHA_512; Kafka spells it SCRAM-SHA-512.
            name = getattr(mechanism, "name", str(mechanism)).replace("_", "-")
            creds[name] = cred["iterations"]
        if creds:
            current[user] = creds
    return current


def describe_line(user, mechanism, iterations):
    return "user %s (%s, %d iterations)" % (user, mechanism, iterations)


def plan_credentials(users, current, update_mode="on_create"):
    """Decide every credential change; pure.

    users: the validated module entries; current: parse_described() output.
    Returns a dict with upserts (the only part holding passwords), deletes,
    per-user results, diff lines, a summary and warnings.
    """
    present, absent_mechanisms, absent_users = desired_credentials(users)
    upserts = []
    deletes = []
    lines = []
    warnings = []
    summary = dict(added=0, changed=0, removed=0, unchanged=0)
    after = dict((user, dict(creds)) for user, creds in current.items())
    touched = {}

    def note(user, line):
        touched.setdefault(user, []).append(line)
        lines.append(line)

    for (user, mechanism), want in sorted(present.items()):
        have = current.get(user, {}).get(mechanism)
        iterations = want["iterations"]
        touched.setdefault(user, [])
        if have is None:
            summary["added"] += 1
            upserts.append(dict(user=user, mechanism=mechanism, iterations=iterations, password=want["password"]))
            after.setdefault(user, {})[mechanism] = iterations
            note(user, "+ " + describe_line(user, mechanism, iterations))
        elif update_mode == "always":
            summary["changed"] += 1
            upserts.append(dict(user=user, mechanism=mechanism, iterations=iterations, password=want["password"]))
            after[user][mechanism] = iterations
            detail = "password rewritten"
            if have != iterations:
                detail += ", iterations %d -> %d" % (have, iterations)
            note(user, "~ user %s (%s): %s" % (user, mechanism, detail))
        else:
            summary["unchanged"] += 1
            if have != iterations:
                warnings.append(
                    "user %s (%s) has %d iterations, not %d; update_password: on_create leaves existing "
                    "credentials alone, use update_password: always to rewrite it" % (user, mechanism, have, iterations)
                )

    removals = set(absent_mechanisms)
    for user in absent_users:
        touched.setdefault(user, [])
        if not current.get(user):
            summary["unchanged"] += 1
        removals.update((user, mechanism) for mechanism in current.get(user, {}))
    for user, mechanism in sorted(removals):
        touched.setdefault(user, [])
        have = current.get(user, {}).get(mechanism)
        if have is None:
            summary["unchanged"] += 1
            continue
        summary["removed"] += 1
        deletes.append(dict(user=user, mechanism=mechanism))
        del after[user][mechanism]
        note(user, "- " + describe_line(user, mechanism, have))

    results = []
    for user in _input_order(users):
        creds = after.get(user) or {}
        results.append(
            dict(
                name=user,
                exists=bool(creds),
                credentials=[dict(mechanism=m, iterations=creds[m]) for m in sorted(creds)],
                changes=list(touched.get(user, [])),
            )
        )
    return dict(
        upserts=upserts,
        deletes=deletes,
        changes=lines,
        summary=summary,
        users=results,
        warnings=warnings,
        expected=dict((user, after.get(user) or {}) for user, changes in touched.items() if changes),
    )


def _input_order(users):
    names = []
    for entry in users or []:
        if entry["name"] not in names:
            names.append(entry["name"])
    return names


def summary_line(summary):
    return "SCRAM credentials: %(added)d added, %(changed)d changed, %(removed)d removed, %(unchanged)d unchanged" % (
        summary
    )


def diff_text(plan):
    """The --diff view: the summary, then one line per changed credential."""
    return "\n".join([summary_line(plan["summary"])] + plan["changes"]) + "\n"


def alteration_rounds(plan):
    """Split the alterations into requests holding at most one per user.

    KRaft's controller refuses a second alteration of the same user in one
    AlterUserScramCredentials request ("A user credential cannot be altered
    twice in the same request"), so a user with two mechanisms to change
    needs a second request. Each round is (deletes, upserts).
    """
    rounds = []
    seen_per_round = []
    for kind, items in (("deletes", plan["deletes"]), ("upserts", plan["upserts"])):
        for item in items:
            index = next((i for i, seen in enumerate(seen_per_round) if item["user"] not in seen), None)
            if index is None:
                index = len(rounds)
                rounds.append(dict(deletes=[], upserts=[]))
                seen_per_round.append(set())
            seen_per_round[index].add(item["user"])
            rounds[index][kind].append(item)
    return [(r["deletes"], r["upserts"]) for r in rounds]


class ScramUserService:
    """The kafka-python calls kafka_user needs, with Kafka errors made readable."""

    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def describe(self):
        # All users in one request: asking for named users makes Kafka answer
        # missing ones with an error whose code kafka-python does not return.
        return parse_described(self.admin.describe_user_scram_credentials())

    def apply(self, plan):
        """Send the alterations; returns the users changed. Raises on any refusal."""
        from kafka.admin import UserScramCredentialDeletion, UserScramCredentialUpsertion

        applied = []
        for deletes, upserts in alteration_rounds(plan):
            alterations = [UserScramCredentialDeletion(d["user"], d["mechanism"]) for d in deletes]
            # kafka-python salts (24 random bytes) and hashes (PBKDF2) here, on
            # this host; only the salted password goes over the wire.
            alterations.extend(
                UserScramCredentialUpsertion(u["user"], u["mechanism"], u["password"], iterations=u["iterations"])
                for u in upserts
            )
            outcome = self.admin.alter_user_scram_credentials(alterations)
            failed = dict((user, message) for user, message in sorted(outcome.items()) if message)
            applied.extend(sorted(user for user, message in outcome.items() if not message))
            if failed:
                raise KafkaModuleError(
                    "Kafka refused the SCRAM credentials of %s"
                    % "; ".join("%s: %s" % (user, message) for user, message in failed.items()),
                    failed_users=failed,
                    applied_users=sorted(set(applied)),
                    changed=bool(applied),
                )
        self._wait_visible(plan["expected"])
        return sorted(set(applied))

    def _wait_visible(self, expected):
        # Brokers apply metadata from the controller asynchronously; waiting
        # here makes the next run (and a login right after) see the change.
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        while True:
            current = self.describe()
            if all(current.get(user, {}) == creds for user, creds in expected.items()):
                return
            if time.monotonic() > deadline:
                raise KafkaModuleError(
                    "timed out after %d ms waiting for the SCRAM credential changes to show" % self.timeout_ms
                )
            time.sleep(0.2)
