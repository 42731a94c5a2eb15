<?php
/**
 * Plugin Name:       Aftercare for WooCommerce
 * Description:       Proactive email and SMS order updates for your shoppers, and help links on product, cart and thank-you pages.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Requires Plugins:  woocommerce
 * Author:            Aftercare
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       aftercare
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

define( 'AFTERCARE_PLUGIN_VERSION', '0.1.0' );
define( 'AFTERCARE_PLUGIN_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-aftercare-options.php';
require_once __DIR__ . '/includes/class-aftercare-signer.php';
require_once __DIR__ . '/includes/class-aftercare-client.php';
require_once __DIR__ . '/includes/class-aftercare-notices.php';
require_once __DIR__ . '/includes/class-aftercare-connection.php';
require_once __DIR__ . '/includes/class-aftercare-connect-proof.php';
require_once __DIR__ . '/includes/class-aftercare-emails.php';
require_once __DIR__ . '/includes/class-aftercare-settings-page.php';
require_once __DIR__ . '/includes/class-aftercare-privacy.php';
require_once __DIR__ . '/includes/class-aftercare-storefront.php';
require_once __DIR__ . '/includes/class-aftercare-plugin.php';

Aftercare_Plugin::init();
