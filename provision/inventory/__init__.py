"""The centre's inventory: an Ansible inventory directory mapped onto typed device models."""

from provision.inventory.loader import Inventory, Room, load_inventory
from provision.inventory.models import FAMILIES, Device

__all__ = ["FAMILIES", "Device", "Inventory", "Room", "load_inventory"]
