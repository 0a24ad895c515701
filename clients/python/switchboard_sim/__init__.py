"""A WhatsApp Cloud API webhook provider simulator for load- and crash-testing Switchboard.

Library use::

    from switchboard_sim import payloads, sign, wire, Simulator
    body = wire.dumps(payloads.envelope([payloads.text_message("15551230001", "hi")]))
    headers = {sign.HEADER: sign.signature(b"secret", body)}
"""
from . import payloads, sign, wire
from .plan import Delivery, DeliveryPlan
from .simulator import Simulator, SimulatorConfig

__all__ = ["payloads", "sign", "wire", "Delivery", "DeliveryPlan", "Simulator", "SimulatorConfig"]
