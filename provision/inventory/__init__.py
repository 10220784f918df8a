"""The centre's inventory: an Ansible inventory directory mapped onto typed device models."""

from devices.models import Device
from provision.inventory.loader import Inventory, Room, load_inventory

__all__ = ["Device", "Inventory", "Room", "load_inventory"]
