"""The local WeChat simulator: a stand-in of WeChat's API (:mod:`bot.simulator.api`, its HTTP
endpoints), what that stand-in keeps in Redis (:mod:`bot.simulator.state`: delivered messages, each
user's 48-hour window and following, failures to play), the page drawing each user's phone
(:mod:`bot.simulator.phone`), a simulated user that sends real signed/encrypted callbacks
(:mod:`bot.simulator.user`), and the interactive ``flask bot chat`` terminal
(:mod:`bot.simulator.chat`)."""
