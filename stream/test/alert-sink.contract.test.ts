import { PagerDutyAlertSink, SlackAlertSink, WebhookAlertSink } from '@bulwark/stream';
import { type AlertSinkHarness, describeAlertSinkContract } from '@bulwark/stream/testing';
import type { HttpReceiver } from './receivers/http-receiver.js';
import { PagerDutyReceiver } from './receivers/pagerduty-receiver.js';
import { SlackReceiver } from './receivers/slack-receiver.js';
import { WebhookReceiver } from './receivers/webhook-receiver.js';

// Each sink against the local receiver that plays its service (and checks what the real one checks).
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde'; // 32 characters, like a real integration key
const SECRET = 'a-webhook-secret-of-enough-length';

function harness(
  receiver: HttpReceiver,
  sink: (url: string) => AlertSinkHarness['sink'] extends (u?: string) => infer S ? S : never,
): AlertSinkHarness {
  return {
    start: async () => {
      await receiver.start();
    },
    stop: () => receiver.close(),
    sink: (url) => sink(url ?? receiver.url),
    accepted: () => receiver.accepted().length,
    failNext: (n, answer) => receiver.failNext(n, answer),
    recover: () => receiver.recover(),
  };
}

const slack = new SlackReceiver();
describeAlertSinkContract(
  'SlackAlertSink',
  harness(slack, (url) => new SlackAlertSink({ webhookUrl: url, timeoutMillis: 2_000 })),
);

const pagerDuty = new PagerDutyReceiver();
describeAlertSinkContract(
  'PagerDutyAlertSink',
  harness(
    pagerDuty,
    (url) =>
      new PagerDutyAlertSink({
        routingKey: ROUTING_KEY,
        eventsUrl: url === pagerDuty.url ? `${url}/v2/enqueue` : url,
        timeoutMillis: 2_000,
      }),
  ),
);

const webhook = new WebhookReceiver(SECRET);
describeAlertSinkContract(
  'WebhookAlertSink',
  harness(webhook, (url) => new WebhookAlertSink({ url, secret: SECRET, timeoutMillis: 2_000 })),
);
