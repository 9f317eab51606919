"""The OMS stack: everything ``infra/spec.py`` describes, deployed as one CloudFormation stack.

The business time zone (what a business day is, for reports and their schedules) is the CDK context value
``timezone`` (cdk.json, or ``-c timezone=Europe/Berlin``), an IANA name; ``spec.DEFAULT_TIMEZONE`` if unset.
The synth fails on a name zoneinfo does not know.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import spec
from infra.constructs.api import Api
from infra.constructs.buckets import Buckets
from infra.constructs.events import Buses
from infra.constructs.functions import Functions
from infra.constructs.keys import Keys
from infra.constructs.queues import Queues
from infra.constructs.schedules import Schedules
from infra.constructs.tables import Tables
from infra.schedule_time import business_timezone

TIMEZONE_CONTEXT = "timezone"


class OmsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        timezone = self.node.try_get_context(TIMEZONE_CONTEXT)
        self.timezone: str = spec.DEFAULT_TIMEZONE if timezone is None else timezone
        business_timezone(self.timezone, f"the CDK context value {TIMEZONE_CONTEXT!r}")
        self.tables = Tables(self, "Tables")
        self.queues = Queues(self, "Queues")
        self.buses = Buses(self, "Buses")
        self.buckets = Buckets(self, "Buckets")
        self.keys = Keys(self, "Keys")
        self.functions = Functions(
            self,
            "Functions",
            tables=self.tables,
            queues=self.queues,
            buses=self.buses,
            buckets=self.buckets,
            keys=self.keys,
            timezone=self.timezone,
        )
        self.schedules = Schedules(
            self, "Schedules", functions=self.functions, queues=self.queues, timezone=self.timezone
        )
        self.api = Api(self, "Api", functions=self.functions)

        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the prod stage")
        for table in spec.TABLES:
            CfnOutput(
                self,
                f"{table.id}TableName",
                value=self.tables.table(table).table_name,
                description=f"Physical name of the {table.id} table ({table.env_var})",
            )
        for queue in spec.QUEUES:
            CfnOutput(
                self,
                spec.queue_url_output(queue),
                value=self.queues.queue(queue).queue_url,
                description=f"URL of the {queue.id} queue ({queue.env_var})",
            )
        for bucket in spec.BUCKETS:
            CfnOutput(
                self,
                f"{bucket.id}BucketName",
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
