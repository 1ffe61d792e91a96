"""Picklist values shared by several objects (defaults; workspaces may extend)."""

from django.db import models


class Industry(models.TextChoices):
    AGRICULTURE = "agriculture", "Agriculture"
    BANKING = "banking", "Banking"
    CONSTRUCTION = "construction", "Construction"
    CONSULTING = "consulting", "Consulting"
    EDUCATION = "education", "Education"
    ENERGY = "energy", "Energy"
    FINANCE = "finance", "Finance"
    GOVERNMENT = "government", "Government"
    HEALTHCARE = "healthcare", "Healthcare"
    HOSPITALITY = "hospitality", "Hospitality"
    INSURANCE = "insurance", "Insurance"
    MANUFACTURING = "manufacturing", "Manufacturing"
    MEDIA = "media", "Media"
    NOT_FOR_PROFIT = "not_for_profit", "Not for profit"
    RETAIL = "retail", "Retail"
    TECHNOLOGY = "technology", "Technology"
    TELECOMMUNICATIONS = "telecommunications", "Telecommunications"
    TRANSPORTATION = "transportation", "Transportation"
    OTHER = "other", "Other"


class LeadSource(models.TextChoices):
    WEB = "web", "Web"
    PHONE_INQUIRY = "phone_inquiry", "Phone inquiry"
    PARTNER_REFERRAL = "partner_referral", "Partner referral"
    PURCHASED_LIST = "purchased_list", "Purchased list"
    TRADE_SHOW = "trade_show", "Trade show"
    WORD_OF_MOUTH = "word_of_mouth", "Word of mouth"
    ADVERTISEMENT = "advertisement", "Advertisement"
    OTHER = "other", "Other"


class Rating(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
