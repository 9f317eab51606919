"""Email through Amazon SES (issue 17's notifications): the configuration set every email is sent with,
its bounce and complaint events on an SNS topic delivered to the notifications queue (raw), and the
grant that lets a function send from the sender address only.

The SES identity (the sender's domain or address) is verified outside the stack, once per account and
region (README, "Notifications"): the stack names it (CDK context ``sesIdentity``, default the sender's
domain) and never creates it. The sender is the CDK context ``senderEmail``
(``shared.config.DEFAULT_SENDER_EMAIL`` for a synth without one).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import spec
from infra.constructs.queues import Queues

SEND_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail")
FEEDBACK_KEY_ALIAS = "alias/oms-email-feedback"


def identity_of(sender: str) -> str:
    """The default SES identity for a sender: its domain (a verified domain lets any address of it send)."""
    return sender.rpartition("@")[2]


class Email(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, queues: Queues, sender: str, identity: str, stage: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.sender = sender
        self.identity = identity
        stack = Stack.of(self)
        self.identity_arn = stack.format_arn(service="ses", resource="identity", resource_name=identity)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            configuration_set_name=spec.stage_name("oms-notifications", stage),
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,  # SES's account list too
        )
        self.configuration_set_arn = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )
        key = kms.Key(
            self,
            "FeedbackKey",
            alias=spec.stage_name(FEEDBACK_KEY_ALIAS, stage),
            description="OMS: encrypts SES's bounce and complaint notifications on their topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # nothing at rest: notifications are delivered, not kept
        )
        # SES publishes the events: SNS uses the key on its behalf (SES developer guide, encrypted topics).
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                resources=["*"],  # in a key policy: this key
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.feedback_key = key
        self.feedback = sns.Topic(
            self,
            "Feedback",
            display_name=f"OMS email bounces and complaints ({stage})",
            master_key=key,
            enforce_ssl=True,
        )
        self.feedback.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                resources=[self.feedback.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": self.configuration_set_arn},
                },
            )
        )
        self.configuration_set.add_event_destination(
            "BouncesAndComplaints",
            destination=ses.EventDestination.sns_topic(self.feedback),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )
        # Raw delivery: the message body is SES's event itself (the function also reads an SNS envelope).
        self.feedback.add_subscription(
            subscriptions.SqsSubscription(queues.queue(spec.NOTIFICATIONS_QUEUE), raw_message_delivery=True)
        )

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """ses:SendEmail and ses:SendRawEmail on the identity and the configuration set only, and only
        from the sender address (``ses:FromAddress``)."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(SEND_ACTIONS),
            resource_arns=[self.identity_arn, self.configuration_set_arn],
            conditions={"StringEquals": {"ses:FromAddress": self.sender}},
        )
