"""A routine fitted to today: needs read, poses adapted, steps and holds chosen, every choice
explained."""
