"""Time the CloudFormation loader against PyYAML's own readers on the same generated templates, in one session.

Run on demand (never in the test suite)::

    python benchmarks/cloudformation_load.py              # medians of 5 runs
    python benchmarks/cloudformation_load.py --roles 2000 --runs 9

Measures, on a template of N roles (trust policy with !Sub/!Ref, one inline policy with !Join):
1. the floor: ``yaml.load`` with the C safe loader and a constructor that ignores CloudFormation's tags;
2. ``yaml.compose`` with the C safe loader (the node graph, what a mark-keeping peer would start from);
3. ``parse_yaml`` (our span-carrying tree built from the same parser's events);
4. the whole loader (tree, resolution, roles and policies).
And a "billion laughs" document (9 levels x 10 aliases): the time until the node budget stops it.
Ratios are against the floor, measured in the same session.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from xacct_lint.load.base import LoadContext
from xacct_lint.load.cloudformation import SHORT_TAGS, load_cloudformation_source
from xacct_lint.model.config import Config
from xacct_lint.parse.source import SourceFile
from xacct_lint.parse.yaml_tree import YamlLimitError, parse_yaml


def template(roles: int) -> str:
    parts = [
        'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Ext:\n    Type: String\n    Default: x9\n'
    ]
    parts.append("Resources:\n")
    for i in range(roles):
        parts.append(
            f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub role-{i}-${{AWS::Region}}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{AWS: !Sub "arn:${{AWS::Partition}}:iam::111111111111:root"}}
            Action: sts:AssumeRole
            Condition: {{StringEquals: {{sts:ExternalId: !Ref Ext}}}}
      Policies:
        - PolicyName: p{i}
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{{Effect: Allow, Action: s3:GetObject, Resource: !Join ["", [arn:aws:s3:::b{i}/*]]}}]
"""
        )
    return "".join(parts)


def bomb() -> str:
    lines = ['AWSTemplateFormatVersion: "2010-09-09"\n', 'l0: &l0 "lol"\n']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 10)]
    return "".join(lines)


class _TagIgnoringLoader(yaml.CSafeLoader):
    pass


def _ignore_tag(loader: yaml.CSafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TagIgnoringLoader.add_multi_constructor("!", _ignore_tag)


def median_seconds(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--roles", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    text = template(args.roles)
    source = SourceFile("bench.yaml", text)
    context = LoadContext(Path("bench.yaml"), Config())
    rows = [
        (
            "yaml.load (C, floor)",
            lambda: yaml.load(text, Loader=_TagIgnoringLoader),
        ),  # a safe loader subclass
        ("yaml.compose (C)", lambda: yaml.compose(text, Loader=yaml.CSafeLoader)),
        ("parse_yaml", lambda: parse_yaml(text, short_tags=SHORT_TAGS)),
        ("whole loader", lambda: load_cloudformation_source(source, context)),
    ]
    print(f"template: {args.roles} roles, {len(text) / 1e6:.2f} MB; median of {args.runs} runs")
    floor = None
    for name, action in rows:
        seconds = median_seconds(action, args.runs)
        floor = floor or seconds
        print(f"  {name:<22} {seconds * 1000:9.1f} ms   x{seconds / floor:5.2f}")

    def stopped_bomb() -> None:
        try:
            parse_yaml(bomb(), short_tags=SHORT_TAGS)
        except YamlLimitError:
            return
        raise AssertionError("the alias bomb was not stopped")

    print(f"  {'billion laughs stopped':<22} {median_seconds(stopped_bomb, args.runs) * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
