"""The local WeChat simulator: a stand-in of WeChat's API (:mod:`bot.simulator.api`), a simulated
user that sends real signed/encrypted callbacks (:mod:`bot.simulator.user`), and the
interactive ``flask bot chat`` terminal (:mod:`bot.simulator.chat`)."""
