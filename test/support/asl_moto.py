"""Runs the state machine definition on moto's Step Functions interpreter, scenario after scenario.

The second ASL interpreter of test/infra/asl-interpreters.test.ts (the first is aws-local-stepfunctions). Reads one
JSON document on stdin (`runMoto` in test/support/asl-interpreters.ts builds it) and writes one on stdout, an
`InterpreterRun[]` per machine. moto's interpretation of the ASL runs unpatched; the harness stands in only here:

- Lambda: `LambdaBackend.invoke` answers from the scenario's script (no Docker, no function to create), as the
  Lambda service would: a result as the payload, an error as the payload `{errorType, errorMessage, trace}` with
  the function-error header. The Task state, its Retry and Catch, and the error's name and cause are moto's.
- Parsing: moto parses the definition with ANTLR (seconds for this one) at create and again for every
  execution; the parse tree of a definition text is kept and each use gets a fresh program from it
  (moto's own Preprocessor), so each execution still runs on what moto alone made of the text. The boto3
  client moto makes for each Lambda and SQS call (~0.1 s each) is made once per service and region.
- Time: the Retry wait (`time.sleep` of moto's retrier) is recorded instead of slept, as the first interpreter's
  `retryIntervalOverrides` shorten it; which Retry matched and how often is still moto's.

The DLQ is moto's SQS: the definition's `arn:aws:states:::sqs:sendMessage` states send to it through moto's own
service integration, and the bodies are read back from the queue.
"""

import json
import logging
import sys
import threading
import time
import types

import boto3
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.parse import asl_parser

# moto logs every caught error and every absent optional path at WARNING, with the whole state; not needed here.
logging.disable(logging.CRITICAL)
REQUEST = json.load(sys.stdin)
REGION = REQUEST["region"]
# By ARN and by name: moto's Invoke hands over whichever the caller named the function by.
FUNCTIONS = {**REQUEST["functions"], **{arn.split(":")[-1]: name for arn, name in REQUEST["functions"].items()}}

_lock = threading.Lock()
_scenario: dict = {}
_calls: dict = {}
_task_inputs: list = []
_retry_waits: list = []


def answer(function: str, payload: dict) -> dict:
    """The scripted answer of the scenario to this call (as `scriptedAnswer` in test/support/asl-interpreters.ts)."""
    target = payload.get("target")
    key = target.get("name") if isinstance(target, dict) else payload.get("clusterName", "*")
    with _lock:
        n = _calls.get((function, key), 0)
        _calls[(function, key)] = n + 1
        _task_inputs.append({"function": function, "key": key, "input": payload})
    by_key = _scenario["answers"].get(function)
    if by_key is None:
        return {"result": {}}  # a function the script does not name (`UNSCRIPTED` in asl-interpreters.ts)
    script = by_key.get(key) or by_key.get("*")
    if not script:
        raise RuntimeError(f"scenario {_scenario['name']}: no answer for {function} {key}")
    return script[min(n, len(script) - 1)]


def scripted_invoke(self, function_name, qualifier, body, headers, response_headers):
    """Stands for LambdaBackend.invoke: the scripted answer, in the Lambda Invoke response's form."""
    function = FUNCTIONS.get(function_name) or FUNCTIONS[function_name.split(":")[-1]]
    a = answer(function, json.loads(body) if body else {})
    if "error" in a:
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = {"errorType": a["error"], "errorMessage": a["cause"], "trace": []}
    else:
        payload = a["result"]
    out = json.dumps(payload).encode("utf-8")
    response_headers["Content-Length"] = str(len(out))
    return out


def record_wait(seconds):
    with _lock:
        _retry_waits.append(seconds)


_trees: dict = {}
_parse = asl_parser.AmazonStateLanguageParser.parse


def parse_once(definition: str):
    """AmazonStateLanguageParser.parse with the ANTLR tree of each definition text made once."""
    tree = _trees.get(definition)
    if tree is None:
        program, _trees[definition] = _parse(definition)
        return program, _trees[definition]
    return asl_parser.Preprocessor().visit(tree), tree


_clients: dict = {}
_client = boto3.client


def client_once(*args, **kwargs):
    """boto3.client, one per service and region (moto's service integrations ask for a new one per call)."""
    key = (kwargs.get("service_name") or args[0], kwargs.get("region_name"))
    with _lock:
        if key not in _clients:
            _clients[key] = _client(*args, **kwargs)
        return _clients[key]


LambdaBackend.invoke = scripted_invoke
asl_parser.AmazonStateLanguageParser.parse = staticmethod(parse_once)
retrier_decl.time = types.SimpleNamespace(sleep=record_wait)


def states_entered(history: list) -> list:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def drain(sqs, url: str) -> list:
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def main() -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    boto3.client = client_once
    url = sqs.create_queue(QueueName=REQUEST["queueName"])["QueueUrl"]
    if url != REQUEST["queueUrl"]:
        raise RuntimeError(f"moto's DLQ is {url}, the definition sends to {REQUEST['queueUrl']}")
    role = "arn:aws:iam::123456789012:role/sync"
    results = []
    for machine in REQUEST["machines"]:
        # Created as EXPRESS too, so moto's Express checks pass on the definition; run as STANDARD, the only type
        # moto (like AWS) keeps an execution history for.
        name = machine["name"]
        sfn.create_state_machine(name=f"{name}-express", definition=machine["definition"], roleArn=role, type="EXPRESS")
        arn = sfn.create_state_machine(name=name, definition=machine["definition"], roleArn=role)["stateMachineArn"]
        results.append([run(sfn, sqs, url, arn, scenario) for scenario in machine["scenarios"]])
    json.dump(results, sys.stdout)


def run(sfn, sqs, url: str, arn: str, scenario: dict) -> dict:
    global _scenario
    _scenario = scenario
    _calls.clear()
    _task_inputs.clear()
    _retry_waits.clear()
    execution = sfn.start_execution(stateMachineArn=arn, name=scenario["name"], input=json.dumps(scenario["input"]))
    deadline = time.monotonic() + 30
    while (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise RuntimeError(f"scenario {scenario['name']} still running after 30 s")
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    return {
        "name": scenario["name"],
        "executionId": execution["executionArn"],
        "status": d["status"],
        "error": d.get("error"),
        "cause": d.get("cause"),
        "output": json.loads(d["output"]) if d.get("output") is not None else None,
        "statesEntered": states_entered(history),
        "taskInputs": list(_task_inputs),
        "dlq": drain(sqs, url),
        "retryWaits": list(_retry_waits),
    }


main()
