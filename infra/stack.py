"""The OMS stack: everything ``infra/spec.py`` describes, deployed as one CloudFormation stack.

CDK context values (cdk.json, or ``-c name=value``):

* ``timezone``: the business time zone (what a business day is, for reports and their schedules), an IANA
  name; ``shared.config.DEFAULT_TIMEZONE`` (UTC) if unset. The synth fails on a name zoneinfo does not know.
* ``currency``: the catalog's currency (``OMS_CURRENCY`` of every function), an ISO 4217 code;
  ``spec.CURRENCY`` (USD) if unset. Set it before the catalog holds prices: they are amounts in it.
* ``stage``: which copy of the stack this is (``prod`` if unset). It names the stack (``OmsStack``,
  ``OmsStack-staging``) and every name the stack chooses (``spec.stage_name``), so stages share an account.
* ``api_gateway_account_role`` (default true): whether this stack sets API Gateway's account-wide
  CloudWatch Logs role. One stack per account and region may: ``false`` for the second stage there.
* ``reserved_concurrency`` (default false): reserve ``Function.reserved_concurrency`` for the functions
  that have one. A new account's concurrency quota (10) refuses any reservation: turn it on once the quota
  is raised.
* ``alarm_email``: an address subscribed to the alarm topic (optional; confirm the email AWS sends).
* ``senderEmail``: the address customer and staff emails come from (``shared.config.DEFAULT_SENDER_EMAIL``,
  orders@example.com, if unset: fine for a synth, never for a deploy that sends).
* ``sesIdentity``: the default of the stack's ``SesIdentity`` parameter, the verified SES identity the sender
  belongs to (default: the sender's domain). The notifications function may send from that identity and
  address only (infra/constructs/email.py).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CfnParameter, Stack
from constructs import Construct

from infra import spec
from infra.constructs.alarms import Alarms
from infra.constructs.analytics import Analytics
from infra.constructs.api import Api
from infra.constructs.buckets import Buckets
from infra.constructs.dashboard import Dashboard
from infra.constructs.email import Email, identity_of
from infra.constructs.events import Buses, EventRules
from infra.constructs.functions import Functions
from infra.constructs.keys import Keys
from infra.constructs.queues import Queues
from infra.constructs.schedules import Schedules
from infra.constructs.tables import Tables
from infra.constructs.waf import TrackingWaf
from infra.description import bucket_name_output, queue_url_output, table_name_output
from infra.schedule_time import business_timezone
from infra.stack_outputs import STACK_NAME
from shared.config import DEFAULT_SENDER_EMAIL, DEFAULT_TIMEZONE, PUBLIC_URL_ENV, check_currency

TIMEZONE_CONTEXT = "timezone"
CURRENCY_CONTEXT = "currency"
STAGE_CONTEXT = "stage"
API_ROLE_CONTEXT = "api_gateway_account_role"
RESERVED_CONCURRENCY_CONTEXT = "reserved_concurrency"
ALARM_EMAIL_CONTEXT = "alarm_email"
SENDER_EMAIL_CONTEXT = "senderEmail"
SES_IDENTITY_CONTEXT = "sesIdentity"


def stack_name(stage: str) -> str:
    """``OmsStack`` for prod, ``OmsStack-<stage>`` for any other stage."""
    spec.check_stage(stage)
    return STACK_NAME if stage == spec.PROD_STAGE else f"{STACK_NAME}-{stage}"


def context_flag(scope: Construct, name: str, default: bool) -> bool:
    """A boolean context value: true/false as JSON (cdk.json) or as text (``-c name=false``)."""
    value = scope.node.try_get_context(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"the CDK context value {name!r} is true or false, not {value!r}")
    return text == "true"


def context_stage(scope: Construct) -> str:
    stage = scope.node.try_get_context(STAGE_CONTEXT)
    return spec.check_stage(spec.PROD_STAGE if stage is None else str(stage))


class OmsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        timezone = self.node.try_get_context(TIMEZONE_CONTEXT)
        self.timezone: str = DEFAULT_TIMEZONE if timezone is None else timezone
        business_timezone(self.timezone, f"the CDK context value {TIMEZONE_CONTEXT!r}")
        self.stage = context_stage(self)
        currency = self.node.try_get_context(CURRENCY_CONTEXT)
        self.currency = check_currency(
            spec.CURRENCY if currency is None else str(currency),
            f"the CDK context value {CURRENCY_CONTEXT!r}",
        )
        self.tables = Tables(self, "Tables", stage=self.stage)
        self.queues = Queues(self, "Queues", personal_data_key=self.tables.personal_data_key)
        self.buses = Buses(self, "Buses", stage=self.stage)
        self.event_rules = EventRules(self, "EventRules", buses=self.buses, queues=self.queues)
        self.buckets = Buckets(self, "Buckets")
        self.keys = Keys(self, "Keys", stage=self.stage)
        sender = str(self.node.try_get_context(SENDER_EMAIL_CONTEXT) or DEFAULT_SENDER_EMAIL)
        # A deploy parameter: the identity can change (a domain verified later, say) without a new synth.
        # Its default is the context's sesIdentity, else the sender's domain.
        self.ses_identity = CfnParameter(
            self,
            "SesIdentity",
            type="String",
            default=str(self.node.try_get_context(SES_IDENTITY_CONTEXT) or identity_of(sender)),
            min_length=3,
            description="The verified SES identity (a domain, or an address) the notifications send from",
        )
        self.email = Email(
            self,
            "Email",
            queues=self.queues,
            sender=sender,
            identity=self.ses_identity.value_as_string,
            stage=self.stage,
        )
        for notification in spec.BUCKET_NOTIFICATIONS:  # uploads start imports (the queue's consumer)
            self.buckets.notify(notification, self.queues.queue(notification.queue))
        self.functions = Functions(
            self,
            "Functions",
            tables=self.tables,
            queues=self.queues,
            buses=self.buses,
            buckets=self.buckets,
            keys=self.keys,
            timezone=self.timezone,
            currency=self.currency,
            stage=self.stage,
            reserved_concurrency=context_flag(self, RESERVED_CONCURRENCY_CONTEXT, default=False),
            email=self.email,
        )
        self.analytics = Analytics(
            self, "Analytics", bucket=self.buckets.bucket(spec.ANALYTICS_BUCKET), stage=self.stage
        )
        self.schedules = Schedules(
            self, "Schedules", functions=self.functions, queues=self.queues, timezone=self.timezone
        )
        self.api = Api(
            self,
            "Api",
            functions=self.functions,
            stage=self.stage,
            account_role=context_flag(self, API_ROLE_CONTEXT, default=True),
        )
        for fn in spec.FUNCTIONS:  # links for people (a tracking link in an email): the stage's URL
            if fn.public_url:
                self.functions.function(fn).add_environment(PUBLIC_URL_ENV, self.api.public_url)
        self.waf = TrackingWaf(self, "Waf", api=self.api, stage=self.stage)
        email = self.node.try_get_context(ALARM_EMAIL_CONTEXT)
        # Last: it alarms on what the others made, and gives every alarm of the stack its actions.
        self.alarms = Alarms(
            self,
            "Alarms",
            stage=self.stage,
            queues=self.queues,
            functions=self.functions,
            api=self.api,
            email=str(email) if email else None,
        )
        self.dashboard = Dashboard(
            self, "Dashboard", stage=self.stage, queues=self.queues, functions=self.functions, api=self.api
        )

        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the API")
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.alarms.topic.topic_arn,
            description="The SNS topic every alarm notifies: subscribe whoever must hear them",
        )
        for table in spec.TABLES:
            CfnOutput(
                self,
                table_name_output(table),
                value=self.tables.table(table).table_name,
                description=f"Physical name of the {table.id} table ({table.env_var})",
            )
        for queue in spec.QUEUES:
            CfnOutput(
                self,
                queue_url_output(queue),
                value=self.queues.queue(queue).queue_url,
                description=f"URL of the {queue.id} queue ({queue.env_var})",
            )
        for bucket in spec.BUCKETS:
            CfnOutput(
                self,
                bucket_name_output(bucket),
                value=self.buckets.bucket(bucket).bucket_name,
                description=f"Name of the {bucket.id} bucket ({bucket.env_var})",
            )
        for bus in spec.BUSES:
            CfnOutput(
                self,
                f"{bus.id}BusName",
                value=self.buses.bus(bus).event_bus_name,
                description=f"Name of the {bus.id} event bus ({bus.env_var}); subscribe with rules on it",
            )
            CfnOutput(
                self,
                f"{bus.id}LogGroupName",
                value=self.buses.log_groups[bus.id].log_group_name,
                description=f"Log group that receives every event published on the {bus.id} bus",
            )
        CfnOutput(
            self,
            "AnalyticsWorkGroup",
            value=self.analytics.workgroup.ref,
            description="The Athena workgroup for ad-hoc queries over the nightly analytics export",
        )
        CfnOutput(
            self,
            "AnalyticsQueryPolicyArn",
            value=self.analytics.query_policy.managed_policy_arn,
            description="Attach to an analyst's role: Athena in the analytics workgroup over the export",
        )
        CfnOutput(
            self,
            "AnalyticsDatabase",
            value=self.analytics.database.ref,  # Ref of a Glue database: its name
            description="The Glue database of the analytics export's tables (orders, lines, stockouts)",
        )
