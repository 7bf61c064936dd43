"""Runs AWS SAM's own transform (samtranslator, pinned with the SAM CLI in .venv) on template.yaml
with the given parameter values, and prints the CloudFormation template it makes, as JSON.

    .venv/bin/python infrastructure/template/transform.py template.yaml [Name=value ...]

What CloudFormation deploys is this output, so a test can read what SAM really made of the
template: the resources it adds (roles, versions, aliases, permissions), their logical ids, and
how a parameter's value reaches them. Managed policies named without an ARN would need IAM to
look them up; the template names none, and such a name fails here, loudly.
"""
import json
import os
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class NoManagedPolicyNames:
    def load(self):
        return {}


def main(argv):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # SAM asks boto for the region
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # as `sam package` leaves it: local code paths become S3 locations (the digest of the code is
    # then the S3 key's, which is what a real package changes when the code changes)
    for section in (template.get("Globals", {}).get("Function", {}), *(
            r.get("Properties", {}) for r in template.get("Resources", {}).values()
            if r.get("Type") == "AWS::Serverless::Function")):
        uri = section.get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            section["CodeUri"] = "s3://packaged/" + uri.strip("/")
    parameters = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if "Default" in spec:
            parameters[name] = spec["Default"]
    for arg in argv[2:]:
        name, _, value = arg.partition("=")
        parameters[name] = value
    parameters.setdefault("AWS::Region", "us-east-1")
    parameters.setdefault("AWS::AccountId", "123456789012")
    parameters.setdefault("AWS::Partition", "aws")
    parameters.setdefault("AWS::StackName", "mailbatch")
    out = transform(template, parameters, NoManagedPolicyNames())
    json.dump(out, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
