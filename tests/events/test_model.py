"""The events normalize builds through :func:`builder` are the same as events built by keyword:
the same class, equal, hashed alike, frozen, pickled, copied and replaced the same; and the
actors remembered for the fast reader's records are the actors their identities name."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import uuid
from datetime import UTC, datetime

import pytest

from bot.events import Actor, IamEvent, actor, normalize
from bot.events.model import builder, new_actor, new_event
from tests.support.records import load

VALUES = ("AssumedRole", "arn:aws:sts::111122223333:assumed-role/Admin/erin", "Admin/erin", "111122223333",
          "AROAEXAMPLE:erin", "ASIAEXAMPLE", None, "Admin", "erin", "arn:aws:iam::111122223333:role/Admin",
          None, True, None)  # fmt: skip


def built_by_keyword(actor: Actor) -> Actor:
    return Actor(**{f.name: getattr(actor, f.name) for f in dataclasses.fields(Actor)})


def test_a_built_actor_is_an_actor_like_one_built_by_keyword():
    actor = new_actor(*VALUES)
    same = built_by_keyword(actor)
    assert type(actor) is Actor and isinstance(actor, Actor)
    assert actor == same and hash(actor) == hash(same) and repr(actor) == repr(same)
    assert tuple(getattr(actor, f.name) for f in dataclasses.fields(Actor)) == VALUES
    assert actor.as_dict() == same.as_dict()


def test_a_built_event_refuses_assignment_and_deletion():
    event = normalize(load("UpdateAccessKey__authored__1.json"))
    assert type(event) is IamEvent and type(event.actor) is Actor
    for target, name in ((event, "event_name"), (event, "raw"), (event.actor, "name")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(target, name, "changed")
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(target, name)
    assert not hasattr(event, "__dict__") and not hasattr(event.actor, "__dict__")


def test_a_built_event_pickles_copies_and_replaces_as_a_dataclass():
    event = normalize(load("UpdateAccessKey__authored__1.json"), "origin")
    back = pickle.loads(pickle.dumps(event))
    assert type(back) is IamEvent and back == event and back.raw == event.raw and back.origin == "origin"
    assert hash(back.actor) == hash(event.actor)
    assert copy.deepcopy(event) == event and copy.copy(event) == event
    renamed = dataclasses.replace(event, event_name="Other", actor=dataclasses.replace(event.actor, name="x"))
    assert (renamed.event_name, renamed.actor.name, renamed.raw) == ("Other", "x", event.raw)
    assert dataclasses.astuple(event)[:3] == (event.event_id, event.event_name, event.event_source)


def test_builder_takes_every_field_in_order_and_no_other():
    values = [f"v{i}" for i in range(len(dataclasses.fields(IamEvent)))]
    event = new_event(*values)
    assert [getattr(event, f.name) for f in dataclasses.fields(IamEvent)] == values
    with pytest.raises(TypeError):
        new_event(*values[:-1])
    with pytest.raises(TypeError):
        new_actor(*VALUES, "one too many")


def test_builder_refuses_a_class_without_slots():
    @dataclasses.dataclass(frozen=True)
    class Plain:
        when: datetime = datetime(2024, 1, 1, tzinfo=UTC)

    with pytest.raises(TypeError, match="not a slotted dataclass"):
        builder(Plain)


def test_the_fast_readers_records_share_the_actor_of_the_same_identity():
    record = load("UpdateAccessKey__authored__1.json")
    again = json.loads(json.dumps(record))
    del again["sessionCredentialFromConsole"]
    first, second = normalize(record, "a", 20), normalize(json.loads(json.dumps(record)), "b", 20)
    assert first.actor is second.actor  # remembered by the identity's JSON
    assert normalize(record).actor == first.actor and normalize(record).actor is not first.actor
    # the record's own facts are part of what is remembered
    console = normalize({**again, "userAgent": "signin.amazonaws.com"}, "c", 20).actor
    quiet = normalize({**again, "userAgent": "aws-cli/2"}, "d", 20).actor
    assert console.console and not quiet.console
    signin = normalize({**again, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin"}, "e", 20)
    assert signin.actor.console and signin.actor.mfa is None


def test_only_decoded_json_is_remembered_by_its_json():
    record = load("AddUserToGroup__awsdocs__1.json")  # an IAM user's call
    named = normalize(json.loads(json.dumps(record)), "a", 20).actor
    # a Python value that writes the same JSON as the user name, but is not a string
    odd = {**record, "userIdentity": {**record["userIdentity"], "userName": uuid.UUID(int=7)}}
    written = {**record, "userIdentity": {**odd["userIdentity"], "userName": str(uuid.UUID(int=7))}}
    assert normalize(written, "b", 20).actor.user_name == str(uuid.UUID(int=7))
    assert normalize(odd).actor.user_name is None and named.user_name


def test_remembered_actors_are_bounded(monkeypatch):
    monkeypatch.setattr(actor, "_ACTORS", {})
    record = load("CreateUser__panther__1.json")
    for n in range(actor._KEPT + 10):
        normalize({**record, "userIdentity": {**record["userIdentity"], "userName": f"u{n}"}}, "x", 20)
    assert 0 < len(actor._ACTORS) <= actor._KEPT
