"""The centre's inventory: an Ansible inventory directory mapped onto typed device models."""

from provision.inventory.loader import Inventory, Room, load_inventory
from devices.models import Device

__all__ = ["Device", "Inventory", "Room", "load_inventory"]
