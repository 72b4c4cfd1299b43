// Package awslogtest is a stand-in for the CloudWatch Logs and Amazon Data
// Firehose endpoints, for tests of log delivery: no real server of either
// runs offline. It speaks the two services' JSON protocol (awsJson1_1,
// X-Amz-Target Logs_20140328.* and Firehose_20150804.*) for the operations
// cognate calls (CreateLogGroup, CreateLogStream, PutLogEvents,
// PutRecordBatch, and DescribeLogGroups and DescribeDeliveryStream, with
// which a log configuration's destination is checked), checks
// each request's SigV4 signature by signing it again with the AWS SDK's
// own signer under the secret of its access key, and keeps what it was
// sent. It can be told to fail requests or records, to test retries.
//
// It checks what the services document for these operations (existing log
// group and stream or delivery stream, events in time order, batch limits)
// and nothing more: it is not AWS, and a delivery that passes here has
// not been tried against AWS itself.
//
// It imports no cognate package; tests import it, never the server.
package awslogtest
