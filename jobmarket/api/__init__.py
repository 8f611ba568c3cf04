"""The parts of :class:`jobmarket.market.Market`, one mixin per group of analyst tasks."""
