"""Record the resource graph the program declared before it became a component, for the test that
`pulumi up` on a stack deployed with that program updates it in place.

Run once, against a checkout of the commit before the change (its own tests/program.py evaluates
its own __main__.py under the Pulumi mocks):

    git worktree add --detach /tmp/release1 eb4ee56
    .venv/bin/python tests/upgrade/record_release1_graph.py /tmp/release1 > tests/upgrade/release1_graph.json

For each variant (the two stack files, and each with every optional resource on), it writes the
URN the engine gives every resource (engine.py), and for the resources a changed name would
replace, the inputs that name them. Nothing here needs the current code.
"""

import json
import subprocess
import sys
from pathlib import Path

# Stack, and config beyond the stack file: together they declare every resource the program can.
VARIANTS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "dev-every-option": (
        "dev",
        {
            "notifyEmail": "someone@example.com",
            "alarmEmail": "ops@example.com",
            "vocabulary": ["Los-Angeles", "A.W.S."],
            "vocabularyFilterWords": ["darn"],
            "monthlyBudget": 100,
            "costAllocationTags": True,
            "maxJobsPerDay": 500,
        },
    ),
    "prod-vocabulary-file": (
        "prod",
        {"vocabularyFile": "tests/vocabulary/terms.txt", "languageCode": "auto", "languageOptions": ["en-US", "es-US"]},
    ),
}
# Inputs that name a resource: a change to one replaces it.
NAMING_INPUTS = {
    "aws:cloudwatch/logGroup:LogGroup": ("namePrefix",),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName",),
    "aws:transcribe/vocabulary:Vocabulary": ("vocabularyName", "languageCode"),
    "aws:transcribe/vocabularyFilter:VocabularyFilter": ("vocabularyFilterName", "languageCode"),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("key",),
    "aws:dynamodb/table:Table": ("hashKey", "rangeKey"),
    "aws:costexplorer/costAllocationTag:CostAllocationTag": ("tagKey",),
}

EVALUATE = """
import json, sys
from engine import engine_urns
from program import PROJECT, run_program
variants, naming_inputs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
graphs = {}
for variant, (stack, overrides) in variants.items():
    program = run_program(stack, overrides)
    engine = engine_urns(program.resources, stack, PROJECT)
    graphs[variant] = {
        "jobNamePrefix": program.outputs["jobNamePrefix"],
        "urns": [engine[r.urn] for r in program.resources],
        "names": {
            engine[r.urn]: {k: r.inputs.get(k) for k in naming_inputs[r.type]} for r in program.resources if r.type in naming_inputs
        },
    }
print(json.dumps(graphs))
"""


def main(checkout: Path) -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run(
        [sys.executable, "-c", EVALUATE, json.dumps(VARIANTS), json.dumps(NAMING_INPUTS)],
        cwd=checkout,
        # The checkout's own modules and tests, and engine.py from here (URNs as the engine makes them).
        env={"PYTHONPATH": f"{checkout}:{checkout / 'function'}:{checkout / 'tests'}:{Path(__file__).parent}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    graphs = json.loads(done.stdout)
    print(json.dumps({"commit": commit, "made_by": "tests/upgrade/record_release1_graph.py", "graphs": graphs}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
