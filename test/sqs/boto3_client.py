"""Drives Postbox's SQS endpoint with an unmodified boto3 (Debian's python3-boto3, whose botocore
speaks the Query protocol to SQS) and prints what it saw as one JSON object for query.test.ts."""
import base64
import json
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, name = sys.argv[1], sys.argv[2]
sqs = boto3.client(
    "sqs",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="local",
    aws_secret_access_key="local",
)
seen = {"protocol": sqs.meta.service_model.protocol}

url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"}, tags={"team": "py"})["QueueUrl"]
seen["url"] = url
seen["getUrl"] = sqs.get_queue_url(QueueName=name)["QueueUrl"]
seen["listed"] = sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
seen["attributes"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "1"})
seen["tags"] = sqs.list_queue_tags(QueueUrl=url).get("Tags")

sent = sqs.send_message(
    QueueUrl=url,
    MessageBody="from <python> & co",
    MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "n": {"DataType": "Number", "StringValue": "7"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    },
)
seen["sent"] = {k: sent[k] for k in ("MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes")}
batch = sqs.send_message_batch(
    QueueUrl=url,
    Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 901}],
)
seen["batch"] = {"ok": [e["Id"] for e in batch.get("Successful", [])], "failed": batch.get("Failed", [])}

received = sqs.receive_message(
    QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"], WaitTimeSeconds=0
)["Messages"]
seen["received"] = [
    {
        "MessageId": m["MessageId"],
        "Body": m["Body"],
        "MD5OfBody": m["MD5OfBody"],
        "MD5OfMessageAttributes": m.get("MD5OfMessageAttributes"),
        "MessageAttributes": {
            k: {
                "DataType": v["DataType"],
                **({"StringValue": v["StringValue"]} if "StringValue" in v else {}),
                **({"BinaryValue": base64.b64encode(v["BinaryValue"]).decode()} if "BinaryValue" in v else {}),
            }
            for k, v in m.get("MessageAttributes", {}).items()
        },
        "ReceiveCount": m["Attributes"]["ApproximateReceiveCount"],
    }
    for m in received
]
deleted = sqs.delete_message_batch(
    QueueUrl=url,
    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
    + [{"Id": "bogus", "ReceiptHandle": "bogus"}],
)
seen["deleted"] = {"ok": len(deleted.get("Successful", [])), "failed": [e["Code"] for e in deleted.get("Failed", [])]}

try:
    sqs.get_queue_url(QueueName=name + "-missing")
except ClientError as error:
    seen["missing"] = {"code": error.response["Error"]["Code"], "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
try:
    sqs.delete_message(QueueUrl=url, ReceiptHandle="bogus")
except ClientError as error:
    seen["badHandle"] = error.response["Error"]["Code"]

sqs.delete_queue(QueueUrl=url)
seen["afterDelete"] = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
print(json.dumps(seen))
